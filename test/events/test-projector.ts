// A small projector for log tests: counts events, tracks the term (CoordinatorElected) and the
// jobs submitted, and checks `term` and `jobAbsent` conditions. Pure and immutable, like the real one.
import { Map as IMap } from 'immutable';
import type { Condition, ConditionFailure } from '../../src/events/conditions.js';
import type { LogRecord, Provenance } from '../../src/events/log-record.js';
import type { Projector } from '../../src/events/projector.js';

export interface TestState {
  readonly seq: number;
  readonly hash: string;
  readonly term: number;
  readonly count: number;
  readonly jobs: IMap<string, number>;
  /** Note texts per author, in log order (writers' own order checks). */
  readonly lastNote: IMap<string, string>;
}

export const testProjector: Projector<TestState> = {
  initial: () => ({ seq: 0, hash: '', term: 0, count: 0, jobs: IMap(), lastNote: IMap() }),
  apply(s, r: LogRecord) {
    let { term, jobs, lastNote } = s;
    if (r.type === 'CoordinatorElected' && r.data.term === term + 1) term = r.data.term;
    if (r.type === 'JobSubmitted') jobs = jobs.set(r.data.jobId, r.seq);
    if (r.type === 'OperatorNote') lastNote = lastNote.set(r.data.author, r.data.text);
    return { seq: r.seq, hash: r.hash, term, count: s.count + 1, jobs, lastNote };
  },
  check(s, conditions: readonly Condition[]): ConditionFailure | undefined {
    for (const c of conditions) {
      if (c.kind === 'term' && s.term !== c.term) return { condition: c, detail: `term is ${s.term}` };
      if (c.kind === 'jobAbsent' && s.jobs.has(c.jobId))
        return { condition: c, detail: `submitted at seq ${s.jobs.get(c.jobId)}` };
    }
    return undefined;
  },
  provenance: (s): Provenance => ({ seq: s.seq, term: s.term, hash: s.hash }),
  toSnapshot: (s) => ({ ...s, jobs: s.jobs.toObject(), lastNote: s.lastNote.toObject() }),
  fromSnapshot(json) {
    const j = json as TestState & { jobs: Record<string, number>; lastNote: Record<string, string> };
    return { ...j, jobs: IMap(j.jobs), lastNote: IMap(j.lastNote) };
  },
};

export function note(author: string, text: string) {
  return { type: 'OperatorNote', data: { author, text } } as const;
}

export function elected(instanceId: string, term: number) {
  return { type: 'CoordinatorElected', data: { instanceId, inc: 1, term } } as const;
}
