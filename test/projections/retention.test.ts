// The jobs projection's retention: only the newest `jobs.retainFinished` finished jobs stay in
// `all`; older ones are archived (id kept, view dropped), and an archived job can never come back.
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../src/projections/apply-batch.js';
import { applyRecords } from '../../src/projections/apply-record.js';
import { checkConditions } from '../../src/projections/check-conditions.js';
import { isArchived } from '../../src/projections/jobs.js';
import { darkroomProjector as p } from '../../src/projections/projector.js';
import { ignoreReason } from '../../src/projections/replay-rules.js';
import { cli, given, pressCluster, recordOf, type Scenario, type Writer } from './scenario.js';

const retain = (s: Scenario, value: unknown): void => {
  s.write(cli, { type: 'SettingChanged', data: { key: 'jobs.retainFinished', value } });
};

/** Runs job `id` from submission to completion (or failure) on worker `b`. */
function finish(s: Scenario, a: Writer, b: Writer, id: string, fail = false): void {
  s.submit(id, 'press');
  s.assign(a, id, b);
  s.started(b, id);
  if (fail) s.failed(b, id);
  else s.completed(b, id);
}

describe('jobs retention', () => {
  it('keeps the newest N finished jobs, archives the others, never touches open jobs', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      retain(s, 3);
      s.submit('open1', 'press');
      for (let i = 1; i <= 7; i++) finish(s, a, b, `j${i}`);
      s.submit('open2', 'press');
    });
    const { jobs } = s.state;
    expect([...jobs.all.keys()].sort()).toEqual(['j5', 'j6', 'j7', 'open1', 'open2']);
    expect(jobs.finishedCount).toBe(3);
    for (const id of ['j1', 'j2', 'j3', 'j4']) expect(isArchived(jobs, id)).toBe(true);
    for (const id of ['j5', 'open1', 'nope']) expect(isArchived(jobs, id)).toBe(false);
    expect([...jobs.open]).toEqual(['open1', 'open2']);
  });

  it('an archived job cannot be submitted again, retried or completed by a zombie', () => {
    let b: Writer = cli;
    const s = given((s) => {
      const c = pressCluster(s);
      b = c.b;
      retain(s, 1);
      finish(s, c.a, c.b, 'j1', true);
      finish(s, c.a, c.b, 'j2');
    });
    expect(isArchived(s.state.jobs, 'j1')).toBe(true);
    const resubmit = recordOf(
      s.seq + 1,
      cli,
      {
        type: 'JobSubmitted',
        data: {
          jobId: 'j1',
          channel: 'press',
          source: '/x',
          relPath: 'j1.jpg',
          workDir: 'work/j1',
          file: 'j1.jpg',
          submittedBy: 'ann',
          bytes: 1,
        },
      },
      s.state.cluster.term,
    );
    expect(ignoreReason(s.state, resubmit)).toBe('job j1 exists (archived)');
    const retry = recordOf(s.seq + 1, cli, { type: 'JobRetried', data: { jobId: 'j1', by: 'ann' } }, 1);
    expect(ignoreReason(s.state, retry)).toMatch(/job j1 is archived/);
    s.completed(b, 'j1', 1);
    expect(s.state.jobs.all.has('j1')).toBe(false);
    expect(s.ignored('JobCompleted')).toBe(1);
    expect(checkConditions(s.state, [{ kind: 'jobAbsent', jobId: 'j1' }])?.detail).toMatch(/archived/);
    expect(checkConditions(s.state, [{ kind: 'jobAbsent', jobId: 'j9' }])).toBeUndefined();
  });

  it('a retried job leaves the finished count and is kept by its newest finish', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      retain(s, 2);
      finish(s, a, b, 'j1', true);
      finish(s, a, b, 'j2');
      s.write(cli, { type: 'JobRetried', data: { jobId: 'j1', by: 'ann' } });
      expect(s.state.jobs.finishedCount).toBe(1);
      finish(s, a, b, 'j3');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.completed(b, 'j1');
    });
    // j1 finished first, then again last: its stale first entry must not archive it.
    expect([...s.state.jobs.all.keys()].sort()).toEqual(['j1', 'j3']);
    expect(isArchived(s.state.jobs, 'j2')).toBe(true);
    expect(s.state.jobs.all.get('j1')?.attempt).toBe(2);
  });

  it('lowering the retention archives at once; an invalid value is ignored with a reason', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      for (let i = 1; i <= 5; i++) finish(s, a, b, `j${i}`);
      expect(s.state.jobs.finishedCount).toBe(5);
      retain(s, -2);
      retain(s, 2.5);
      retain(s, 'ten');
    });
    expect(s.ignored('SettingChanged')).toBe(3);
    expect(s.state.jobs.retainFinished).toBe(10_000);
    const bad = recordOf(
      s.seq + 1,
      cli,
      {
        type: 'SettingChanged',
        data: { key: 'jobs.retainFinished', value: -2 },
      },
      1,
    );
    expect(ignoreReason(s.state, bad)).toBe('jobs.retainFinished must be an integer >= 0, not -2');
    retain(s, 0);
    expect(s.state.jobs.finishedCount).toBe(0);
    expect(s.state.jobs.all.size).toBe(0);
    for (let i = 1; i <= 5; i++) expect(isArchived(s.state.jobs, `j${i}`)).toBe(true);
  });

  it('snapshot + tail and batches give the same archive as record-by-record replay', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      retain(s, 4);
      for (let i = 1; i <= 30; i++) finish(s, a, b, `j${String(i).padStart(2, '0')}`, i % 7 === 0);
    });
    const encode = (state: typeof s.state): string => JSON.stringify(p.toSnapshot(state));
    const full = encode(s.state);
    const records = s.records;
    for (const k of [0, 17, 60, 100, records.length]) {
      const head = applyRecords(p.initial(), records.slice(0, k));
      const restored = p.fromSnapshot(JSON.parse(encode(head)));
      // The restored archive is the sorted base; later archives join the recent set.
      expect(encode(applyBatch(restored, records.slice(k)))).toBe(full);
      expect(encode(applyRecords(restored, records.slice(k)))).toBe(full);
    }
    const snap = p.toSnapshot(s.state) as { jobs: { archived: string } };
    expect(snap.jobs.archived.split('\n')).toHaveLength(26);
    const restored = p.fromSnapshot(JSON.parse(full));
    expect(isArchived(restored.jobs, 'j01')).toBe(true);
    expect(isArchived(restored.jobs, 'j26')).toBe(true);
    expect(isArchived(restored.jobs, 'j27')).toBe(false);
  });

  it('a snapshot whose archive is not sorted is refused', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      retain(s, 0);
      finish(s, a, b, 'j1');
      finish(s, a, b, 'j2');
    });
    const json = p.toSnapshot(s.state) as { jobs: { archived: string } };
    expect(json.jobs.archived).toBe('j1\nj2');
    json.jobs.archived = 'j2\nj1';
    expect(() => p.fromSnapshot(json)).toThrow(/jobs.archived is not sorted/);
  });
});
