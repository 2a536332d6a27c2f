// Batch planning (pure): seals a group of appends at the tip into one batch, checking each
// append's conditions in order against the tip state plus the appends accepted before it.
import { DarkroomError } from '../errors/darkroom-error.js';
import { describeCondition, type Condition } from './conditions.js';
import type { DarkroomEvent } from './event-types.js';
import type { LogRecord } from './log-record.js';
import type { Projector } from './projector.js';
import { sealRecord } from './record-codec.js';

/** One append as the planner sees it. */
export interface AppendRequest {
  readonly events: readonly DarkroomEvent[];
  readonly conditions: readonly Condition[];
  /** Envelope term; default: the projection's term at the tip when this append is planned. */
  readonly term: number | undefined;
}

/** An append waiting in a handle's queue for its batch. */
export interface PendingAppend extends AppendRequest {
  /** Aborted before its batch is written: the append is rejected (E_LOG_NOT_ACKNOWLEDGED), never written. */
  readonly signal?: AbortSignal | undefined;
  resolve(records: readonly LogRecord[]): void;
  reject(err: unknown): void;
}

/** Rejects the appends whose signal was aborted (their writer gave up); returns the others. */
export function withdrawAborted<A extends PendingAppend>(group: readonly A[]): A[] {
  const keep: A[] = [];
  for (const a of group) {
    if (a.signal?.aborted === true) {
      a.reject(
        new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', {
          reason: 'withdrawn by its writer before it was written',
        }),
      );
    } else keep.push(a);
  }
  return keep;
}

export interface BatchPlan<S, A extends AppendRequest> {
  readonly records: readonly LogRecord[];
  readonly lines: readonly string[];
  /** The state after every planned record. */
  readonly state: S;
  readonly accepted: readonly (readonly [A, readonly LogRecord[]])[];
  readonly refused: readonly (readonly [A, DarkroomError])[];
}

export interface Tip<S> {
  readonly state: S;
  /** The seq the batch starts at. */
  readonly next: number;
  /** Hash of seq next-1 ('' before seq 1). */
  readonly prev: string;
}

/**
 * Pure: the batch for `group` at `tip`. `leading` events (repairs) come first, unconditioned.
 * A refused append gets E_LOG_CONDITION_FAILED naming its condition and does not sink the others.
 */
export function planBatch<S, A extends AppendRequest>(
  projector: Projector<S>,
  tip: Tip<S>,
  writer: { readonly by: string; readonly inc: number },
  ts: string,
  leading: readonly DarkroomEvent[],
  group: readonly A[],
): BatchPlan<S, A> {
  let state = tip.state;
  let seq = tip.next;
  let prev = tip.prev;
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const seal = (e: DarkroomEvent, term: number): LogRecord => {
    const { record, line } = sealRecord({
      seq,
      ts,
      by: writer.by,
      inc: writer.inc,
      term,
      type: e.type,
      data: e.data,
      prev,
    });
    seq += 1;
    prev = record.hash;
    records.push(record);
    lines.push(line);
    state = projector.apply(state, record);
    return record;
  };
  for (const e of leading) seal(e, projector.provenance(state).term);
  const accepted: (readonly [A, readonly LogRecord[]])[] = [];
  const refused: (readonly [A, DarkroomError])[] = [];
  for (const a of group) {
    const failure = projector.check(state, a.conditions);
    if (failure !== undefined) {
      const condition = describeCondition(failure.condition);
      refused.push([a, new DarkroomError('E_LOG_CONDITION_FAILED', { condition, detail: failure.detail })]);
      continue;
    }
    const term = a.term ?? projector.provenance(state).term;
    accepted.push([a, a.events.map((e) => seal(e, term))]);
  }
  return { records, lines, state, accepted, refused };
}
