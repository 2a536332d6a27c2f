// applyBatch: random chunks of plausible logs give exactly the state of folding record by record;
// the input state is never changed; unchanged parts keep their identity; the result is immutable.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { applyBatch } from '../../src/projections/apply-batch.js';
import { applyRecords } from '../../src/projections/apply-record.js';
import { darkroomProjector as p } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { ClusterModel, stepArb } from './replay-model.js';
import { cli, recordOf, Scenario } from './scenario.js';

const encode = (s: ProjectionState): string => JSON.stringify(p.toSnapshot(s));

/** Users and settings events (the cluster model does not write them), some of them refused. */
const user = fc.constantFrom('ann', 'bob', 'cy');
const role = fc.constantFrom('admin' as const, 'operator' as const, 'viewer' as const);
const key = fc.constantFrom('retention', 'theme');
const configEventArb: fc.Arbitrary<DarkroomEvent> = fc.oneof(
  fc.tuple(user, role).map(([u, r]): DarkroomEvent => ({ type: 'UserAdded', data: { user: u, role: r } })),
  fc.tuple(user, role).map(([u, r]): DarkroomEvent => ({ type: 'UserChanged', data: { user: u, role: r } })),
  user.map((u): DarkroomEvent => ({ type: 'UserRemoved', data: { user: u } })),
  fc.tuple(key, fc.option(fc.integer(), { nil: undefined })).map(([k, v]): DarkroomEvent => ({
    type: 'SettingChanged',
    data: { key: k, value: v },
  })),
);

/** A plausible cluster log followed by config events, as sealed records. */
const logArb: fc.Arbitrary<LogRecord[]> = fc
  .tuple(
    fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }),
    fc.array(configEventArb, { maxLength: 30 }),
  )
  .map(([steps, config]) => {
    const { records, state } = new ClusterModel().run(steps);
    const term = state.cluster.term;
    return [...records, ...config.map((e, i) => recordOf(records.length + i + 1, cli, e, term))];
  });

/** Cut points splitting `records` into consecutive chunks of random sizes (empty ones included). */
function chunks(records: readonly LogRecord[], sizes: readonly number[]): LogRecord[][] {
  const out: LogRecord[][] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(records.slice(at, at + size));
    at += Math.min(size, records.length - at);
  }
  out.push(records.slice(at));
  return out;
}

describe('applyBatch', () => {
  it('over random chunks equals folding apply record by record, and leaves its input unchanged', () => {
    fc.assert(
      fc.property(logArb, fc.array(fc.nat(40), { maxLength: 12 }), (records, sizes) => {
        let byRecord = p.initial();
        let batched = p.initial();
        for (const chunk of chunks(records, sizes)) {
          const before = encode(batched);
          const prior = batched;
          batched = applyBatch(batched, chunk);
          expect(encode(prior)).toBe(before);
          byRecord = applyRecords(byRecord, chunk);
          expect(encode(batched)).toBe(encode(byRecord));
          expect(p.provenance(batched)).toEqual(p.provenance(byRecord));
          // Applying the same batch again changes nothing and returns the same state.
          expect(applyBatch(batched, chunk)).toBe(batched);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives immutable collections: writing to the result does not change it', () => {
    fc.assert(
      fc.property(logArb, (records) => {
        const s = applyBatch(p.initial(), records);
        const before = encode(s);
        s.jobs.all.delete(s.jobs.all.keySeq().first() ?? 'none');
        s.jobs.open.add('extra');
        s.config.channels.clear();
        s.cluster.instances.clear();
        s.meta.ignored.set('OperatorNote', 99);
        s.config.settings.set('extra', 1);
        expect(encode(s)).toBe(before);
        for (const job of s.jobs.all.values()) expect(Object.isFrozen(job)).toBe(true);
        expect(Object.isFrozen(s) && Object.isFrozen(s.jobs) && Object.isFrozen(s.meta)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the identity of parts, collections and views the batch did not change', () => {
    const sc = new Scenario();
    const a = sc.start('a');
    sc.elect(a);
    sc.channel('press');
    sc.submit('j1', 'press');
    sc.submit('j2', 'press');
    const before = sc.state;
    const next = (seq: number, event: DarkroomEvent): LogRecord => recordOf(seq, cli, event, 1);

    const notes = [1, 2, 3].map((i) =>
      next(sc.seq + i, { type: 'OperatorNote', data: { author: 'ann', text: `n${i}` } }),
    );
    const afterNotes = applyBatch(before, notes);
    expect(afterNotes.meta.seq).toBe(sc.seq + 3);
    expect(afterNotes.config).toBe(before.config);
    expect(afterNotes.jobs).toBe(before.jobs);
    expect(afterNotes.cluster).toBe(before.cluster);
    expect(afterNotes.meta.ignored).toBe(before.meta.ignored);

    const paused = applyBatch(before, [
      next(sc.seq + 1, { type: 'ChannelPaused', data: { channel: 'press', reason: 'proofing' } }),
      next(sc.seq + 2, { type: 'JobCancelled', data: { jobId: 'j1', by: 'ann', reason: 'dup' } }),
    ]);
    expect(paused.config.channels).not.toBe(before.config.channels);
    expect(paused.config.users).toBe(before.config.users);
    expect(paused.config.settings).toBe(before.config.settings);
    expect(paused.cluster).toBe(before.cluster);
    expect(paused.jobs.lastAssigned).toBe(before.jobs.lastAssigned);
    expect(paused.jobs.all.get('j1')?.state).toBe('cancelled');
    expect(paused.jobs.all.get('j2')).toBe(before.jobs.all.get('j2'));
    expect([...paused.jobs.open]).toEqual(['j2']);
    expect([...before.jobs.open]).toEqual(['j1', 'j2']);

    expect(applyBatch(before, [])).toBe(before);
    expect(applyBatch(before, sc.records.slice(-2))).toBe(before);
  });
});
