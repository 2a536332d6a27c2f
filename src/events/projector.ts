// Projector: what the log needs from the projections — fold a record, check append
// conditions at the tip, and encode/decode snapshots. The log layer stays generic over it.
import type { Condition, ConditionFailure } from './conditions.js';
import type { LogRecord, Provenance } from './log-record.js';

export interface Projector<S> {
  initial(): S;
  /** Pure: the state after `record` (replay rules applied; ignored events counted). */
  apply(state: S, record: LogRecord): S;
  /**
   * Optional, pure, for replay and large reads: the state after `records` in order. Must equal
   * folding `apply` record by record (same provenance, same snapshot); it exists only to be
   * faster (e.g. mutable collections for the duration of the batch). `state` is left unchanged.
   */
  applyBatch?(state: S, records: readonly LogRecord[]): S;
  /** Pure: the first condition that does not hold in `state`, or undefined. */
  check(state: S, conditions: readonly Condition[]): ConditionFailure | undefined;
  provenance(state: S): Provenance;
  /** JSON-safe encoding for snapshots; `fromSnapshot(toSnapshot(s))` equals `s`. */
  toSnapshot(state: S): unknown;
  fromSnapshot(json: unknown): S;
}
