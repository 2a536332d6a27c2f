// The simulated shared drive's log: appends are checked and folded by the real pure code
// (checkConditions, applyRecord with the replay rules), so the simulation arbitrates exactly as
// the event log does; the state after every seq is kept, so a lagging reader sees an old one.
import type { Condition, ConditionFailure } from '../../src/events/conditions.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { applyRecord } from '../../src/projections/apply-record.js';
import { checkConditions } from '../../src/projections/check-conditions.js';
import { initialState } from '../../src/projections/initial-state.js';
import type { ProjectionState } from '../../src/projections/state.js';

export interface SimWriter {
  readonly by: string;
  readonly inc: number;
}

export type AppendResult =
  | { readonly ok: true; readonly records: readonly LogRecord[] }
  | { readonly ok: false; readonly failure: ConditionFailure };

export class SimLog {
  readonly records: LogRecord[] = [];
  /** states[k]: the projection after seq k (states[0]: the empty log). */
  readonly states: ProjectionState[] = [initialState()];

  get seq(): number {
    return this.records.length;
  }

  get tip(): ProjectionState {
    return this.states[this.states.length - 1]!;
  }

  /** As EventLog.append: conditions checked at the tip; all events written or none. */
  append(
    writer: SimWriter,
    events: readonly DarkroomEvent[],
    conditions: readonly Condition[],
    term: number | undefined,
    ts: number,
  ): AppendResult {
    const failure = checkConditions(this.tip, conditions);
    if (failure !== undefined) return { ok: false, failure };
    const written: LogRecord[] = [];
    for (const e of events) {
      const seq = this.seq + 1;
      const record = {
        seq,
        ts: new Date(Date.UTC(2026, 11, 7) + ts).toISOString(),
        by: writer.by,
        inc: writer.inc,
        term: term ?? this.tip.cluster.term,
        prev: seq === 1 ? '' : `h${seq - 1}`,
        hash: `h${seq}`,
        ...e,
      } as LogRecord;
      this.records.push(record);
      this.states.push(applyRecord(this.tip, record));
      written.push(record);
    }
    return { ok: true, records: written };
  }

  /** True when the record at `seq` took effect (the replay rules did not ignore it). */
  applied(seq: number): boolean {
    const r = this.records[seq - 1]!;
    const before = this.states[seq - 1]!.meta.ignored.get(r.type) ?? 0;
    const after = this.states[seq]!.meta.ignored.get(r.type) ?? 0;
    return after === before;
  }
}
