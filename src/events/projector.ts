// Projector: what the log needs from the projections — fold a record, check append
// conditions at the tip, and encode/decode snapshots. The log layer stays generic over it.
import type { Condition, ConditionFailure } from './conditions.js';
import type { LogRecord, Provenance } from './log-record.js';

export interface Projector<S> {
  initial(): S;
  /** Pure: the state after `record` (replay rules applied; ignored events counted). */
  apply(state: S, record: LogRecord): S;
  /** Pure: the first condition that does not hold in `state`, or undefined. */
  check(state: S, conditions: readonly Condition[]): ConditionFailure | undefined;
  provenance(state: S): Provenance;
  /** JSON-safe encoding for snapshots; `fromSnapshot(toSnapshot(s))` equals `s`. */
  toSnapshot(state: S): unknown;
  fromSnapshot(json: unknown): S;
}
