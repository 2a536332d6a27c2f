// replayFold (the fold of a long replay at open): over random logs cut into random chunks, from
// the initial state, from a folded prefix and from a snapshot of it, it ends with exactly the state
// of folding record by record (same state digest, same provenance); the state it started from is
// never changed; the result is immutable; a fold that applied nothing returns its input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { applyRecords } from '../../src/projections/apply-record.js';
import { darkroomProjector as p } from '../../src/projections/projector.js';
import { replayFold } from '../../src/projections/replay-fold.js';
import { stateDigest } from '../../src/projections/state-digest.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { ClusterModel, stepArb } from './replay-model.js';
import { cli, recordOf, Scenario } from './scenario.js';

const encode = (s: ProjectionState): string => JSON.stringify(p.toSnapshot(s));

/** Users, settings and retention changes (beside the cluster model's own), some of them refused. */
const configEventArb: fc.Arbitrary<DarkroomEvent> = fc.oneof(
  fc
    .tuple(fc.constantFrom('ann', 'bob'), fc.constantFrom('admin' as const, 'viewer' as const))
    .map(([user, role]): DarkroomEvent => ({ type: 'UserAdded', data: { user, role } })),
  fc.constantFrom('ann', 'bob').map((user): DarkroomEvent => ({ type: 'UserRemoved', data: { user } })),
  fc
    .tuple(fc.constantFrom('theme', 'jobs.retainFinished'), fc.integer({ min: -1, max: 3 }))
    .map(([key, value]): DarkroomEvent => ({ type: 'SettingChanged', data: { key, value } })),
);

/** A plausible cluster log with config events spliced in, as sealed records in log order. */
const logArb: fc.Arbitrary<LogRecord[]> = fc
  .tuple(
    fc.array(stepArb, { minLength: 1, maxLength: 200, size: 'max' }),
    fc.array(configEventArb, { maxLength: 20 }),
  )
  .map(([steps, config]) => {
    const { records, state } = new ClusterModel().run(steps);
    const term = state.cluster.term;
    return [...records, ...config.map((e, i) => recordOf(records.length + i + 1, cli, e, term))];
  });

/** `records` cut into consecutive chunks of the given sizes (empty ones included), then the rest. */
function chunks(records: readonly LogRecord[], sizes: readonly number[]): LogRecord[][] {
  const out: LogRecord[][] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(records.slice(at, at + size));
    at = Math.min(at + size, records.length);
  }
  out.push(records.slice(at));
  return out;
}

describe('replayFold', () => {
  it('over random chunks ends with the state of folding record by record, from any start', () => {
    fc.assert(
      fc.property(
        logArb,
        fc.nat(),
        fc.array(fc.nat(30), { maxLength: 10 }),
        fc.constantFrom('initial', 'folded', 'snapshot'),
        (records, cut, sizes, start) => {
          const at = start === 'initial' ? 0 : cut % (records.length + 1);
          const prefix = applyRecords(p.initial(), records.slice(0, at));
          const from = start === 'snapshot' ? p.fromSnapshot(p.toSnapshot(prefix)) : prefix;
          const before = encode(from);
          const fold = replayFold(from);
          for (const chunk of chunks(records.slice(at), sizes)) fold.apply(chunk);
          const folded = fold.finish();
          const byRecord = applyRecords(p.initial(), records);
          expect(stateDigest(folded)).toBe(stateDigest(byRecord));
          expect(p.provenance(folded)).toEqual(p.provenance(byRecord));
          expect(encode(from)).toBe(before);
          // Folding on from there, record by record and in batches, still agrees (the archive
          // moved into archivedBase is read the same way).
          const more = records.slice(-5).map((r, i) => ({ ...r, seq: records.length + i + 1 }));
          expect(stateDigest(applyRecords(folded, more))).toBe(stateDigest(applyRecords(byRecord, more)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives an immutable state: writing to the result does not change it', () => {
    fc.assert(
      fc.property(logArb, (records) => {
        const fold = replayFold(p.initial());
        fold.apply(records);
        const s = fold.finish();
        const before = encode(s);
        s.jobs.all.delete(s.jobs.all.keySeq().first() ?? 'none');
        s.jobs.open.add('extra');
        s.jobs.finishOrder.push(['extra', 1]);
        s.jobs.archived.add('extra');
        s.cluster.instances.clear();
        s.config.channels.clear();
        s.meta.ignored.set('OperatorNote', 99);
        expect(encode(s)).toBe(before);
        for (const job of s.jobs.all.values()) expect(Object.isFrozen(job)).toBe(true);
        for (const i of s.cluster.instances.values()) expect(Object.isFrozen(i)).toBe(true);
        expect(Object.isFrozen(s) && Object.isFrozen(s.jobs) && Object.isFrozen(s.config)).toBe(true);
        expect(Object.isFrozen(s.cluster) && Object.isFrozen(s.meta)).toBe(true);
        expect(Object.isFrozen(s.jobs.archivedBase)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('returns its input when nothing applied, and refuses to be used after finish', () => {
    const sc = new Scenario();
    const a = sc.start('a');
    sc.elect(a);
    sc.channel('press');
    sc.submit('j1', 'press');
    const empty = replayFold(sc.state);
    empty.apply([]);
    empty.apply(sc.records.slice(-2));
    expect(empty.finish()).toBe(sc.state);
    expect(() => empty.apply([])).toThrow(/after finish/);
    expect(() => empty.finish()).toThrow(/twice/);
  });
});
