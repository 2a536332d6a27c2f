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
  /**
   * Optional, for a long replay at open: a fold of `state` that owns its state until finish(),
   * fed many chunks of records. Must end equal to folding `apply` record by record over all of
   * them; it exists only to be faster (nothing needs to be immutable until the end). `state` is
   * left unchanged.
   */
  replay?(state: S): ReplayFold<S>;
  /** Pure: the first condition that does not hold in `state`, or undefined. */
  check(state: S, conditions: readonly Condition[]): ConditionFailure | undefined;
  provenance(state: S): Provenance;
  /** JSON-safe encoding for snapshots; `fromSnapshot(toSnapshot(s))` equals `s`. */
  toSnapshot(state: S): unknown;
  fromSnapshot(json: unknown): S;
}

/** A fold in progress (Projector.replay): chunks in log order, then the state, once. */
export interface ReplayFold<S> {
  apply(records: readonly LogRecord[]): void;
  /** The state after every chunk applied; the fold is over. */
  finish(): S;
}
