// Property tests over random plausible logs: snapshot + tail equals a full replay at every split
// point, no job is ever assigned twice at once, no instance holds more than its slots plus the
// jobs assigned ahead nor processes more than its slots, one coordinator per term.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/events/log-record.js';
import { applyRecord, applyRecords } from '../../src/projections/apply-record.js';
import { AHEAD_PER_SLOT } from '../../src/cluster/decide-assignments.js';
import { isHeldBy } from '../../src/projections/jobs.js';
import { darkroomProjector as p } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { ClusterModel, stepArb } from './replay-model.js';

const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 120, size: 'max' });
const encode = (s: ProjectionState): string => JSON.stringify(p.toSnapshot(s));
const restore = (s: ProjectionState): ProjectionState => p.fromSnapshot(JSON.parse(encode(s)));

function states(records: readonly LogRecord[]): ProjectionState[] {
  const out = [p.initial()];
  for (const r of records) out.push(applyRecord(out[out.length - 1]!, r));
  return out;
}

describe('replay properties', () => {
  it('snapshot at any split point + the tail equals the full replay', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { records } = new ClusterModel().run(steps);
        const prefix = states(records);
        const full = encode(prefix[records.length]!);
        for (let k = 0; k <= records.length; k++) {
          const resumed = applyRecords(restore(prefix[k]!), records.slice(k));
          expect(encode(resumed)).toBe(full);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('replay in random chunks, through a snapshot and with each batch applied twice, equals the full replay', () => {
    fc.assert(
      fc.property(stepsArb, fc.array(fc.nat(20), { maxLength: 10 }), (steps, cuts) => {
        const { records, state } = new ClusterModel().run(steps);
        let s = p.initial();
        let at = 0;
        for (const len of [...cuts, records.length]) {
          const batch = records.slice(at, at + len);
          at += batch.length;
          s = applyRecords(applyRecords(restore(s), batch), batch);
        }
        expect(encode(s)).toBe(encode(state));
        expect(encode(applyRecords(p.initial(), records))).toBe(encode(state));
      }),
      { numRuns: 150 },
    );
  });

  it('no job is assigned twice at once, no instance holds more than its slots plus those ahead nor processes more than its slots, one coordinator per term', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const model = new ClusterModel();
        const { records } = model.run(steps);
        const prefix = states(records);
        const coordinators = new Map<number, string>();
        for (let k = 1; k <= records.length; k++) {
          const before = prefix[k - 1]!;
          const after = prefix[k]!;
          const r = records[k - 1]!;
          const applied = after.meta.ignored.get(r.type) === before.meta.ignored.get(r.type);
          if (r.type === 'JobAssigned' && applied) {
            expect(before.jobs.all.get(r.data.jobId)?.state).toBe('submitted');
          }
          if (r.type === 'CoordinatorElected' && applied) {
            expect(r.data.term).toBe(before.cluster.term + 1);
            expect(coordinators.has(r.data.term)).toBe(false);
            coordinators.set(r.data.term, `${r.data.instanceId}/${r.data.inc}`);
          }
          expect(after.cluster.term).toBeGreaterThanOrEqual(before.cluster.term);
          checkHolding(after, !model.unserialized);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Held jobs belong to a current incarnation that is started or stopping; it holds at most its
 *  slots plus the jobs assigned ahead (AHEAD_PER_SLOT per slot) when decisions were serialized,
 *  and processes at most its slots; open = exactly the non-final jobs. */
function checkHolding(state: ProjectionState, slotsBound: boolean): void {
  const held = new Map<string, number>();
  const processing = new Map<string, number>();
  for (const job of state.jobs.all.values()) {
    const open = state.jobs.open.has(job.jobId);
    expect(open).toBe(['submitted', 'assigned', 'processing', 'review'].includes(job.state));
    if (job.state !== 'assigned' && job.state !== 'processing') continue;
    const view = state.cluster.instances.get(job.instanceId!);
    expect(view && isHeldBy(job, view.instanceId, view.inc)).toBe(true);
    expect(['started', 'stopping']).toContain(view!.status);
    held.set(view!.instanceId, (held.get(view!.instanceId) ?? 0) + 1);
    if (job.state === 'processing')
      processing.set(view!.instanceId, (processing.get(view!.instanceId) ?? 0) + 1);
  }
  for (const [id, n] of processing) expect(n).toBeLessThanOrEqual(state.cluster.instances.get(id)!.slots);
  if (slotsBound)
    for (const [id, n] of held)
      expect(n).toBeLessThanOrEqual(state.cluster.instances.get(id)!.slots * (1 + AHEAD_PER_SLOT));
}
