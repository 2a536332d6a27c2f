// Poison jobs, the projection side: which ended attempts count as deaths (JobView.deaths), and the
// decision that sends a job to the bad folder after maxAttempts of them (decidePoison).
import { describe, expect, it } from 'vitest';
import { decidePoison } from '../../src/instance/job-runner.js';
import { applyRecord } from '../../src/projections/apply-record.js';
import { deathsOf } from '../../src/projections/jobs.js';
import { given, pressCluster, type Scenario } from './scenario.js';

function job(s: Scenario, id = 'j1') {
  const v = s.state.jobs.all.get(id);
  if (v === undefined) throw new Error(`no job ${id}`);
  return v;
}

describe('jobs projection: attempts that die while processing', () => {
  it('a lost holder that was processing the job counts a death with the loss reason', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'b', inc: b.inc, reason: 'silent 6000 ms' } });
    });
    expect(job(s)).toMatchObject({ state: 'submitted', releases: 1, deaths: 1 });
    expect(job(s).lastDeath).toContain('silent 6000 ms');
  });

  it('a restart of the holder (a new incarnation) while processing counts a death', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.start('b');
    });
    expect(deathsOf(job(s))).toBe(1);
    expect(job(s).lastDeath).toMatch(/^b \(inc \d+\) restarted while processing it$/);
  });

  it('a release by a started holder (a fault) counts; a stopping holder’s drain release does not', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.submit('j2', 'press');
      s.assign(a, 'j1', b);
      s.assign(a, 'j2', b);
      s.started(b, 'j1');
      s.started(b, 'j2');
      s.released(b, 'j1');
      s.write(b, { type: 'InstanceStopping', data: { instanceId: 'b', inc: b.inc, reason: 'SIGTERM' } });
      s.released(b, 'j2');
    });
    expect(deathsOf(job(s, 'j1'))).toBe(1);
    expect(job(s, 'j1').lastDeath).toContain('after a fault');
    expect(job(s, 'j2')).toMatchObject({ state: 'submitted', releases: 1 });
    expect(deathsOf(job(s, 'j2'))).toBe(0);
  });

  it('no death when the holder had not started the job, nor when it stopped gracefully', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.submit('j2', 'press');
      s.assign(a, 'j1', b);
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'b', inc: b.inc, reason: 'silent' } });
      const b2 = s.start('b');
      s.assign(a, 'j2', b2);
      s.started(b2, 'j2');
      s.write(b2, { type: 'InstanceStopped', data: { instanceId: 'b', inc: b2.inc } });
    });
    expect(job(s, 'j1')).toMatchObject({ state: 'submitted', releases: 1 });
    expect(job(s, 'j1')).not.toHaveProperty('deaths');
    expect(job(s, 'j2')).toMatchObject({ state: 'submitted', releases: 1 });
    expect(job(s, 'j2')).not.toHaveProperty('deaths');
  });

  it('deaths add up over attempts; JobRetried of the failed job starts the count again', () => {
    const s = given((s) => {
      const { a } = pressCluster(s);
      let b = { by: 'b', inc: s.state.cluster.instances.get('b')!.inc };
      s.submit('j1', 'press');
      for (let i = 0; i < 3; i++) {
        s.assign(a, 'j1', b);
        s.started(b, 'j1');
        b = s.start('b');
      }
      expect(deathsOf(job(s))).toBe(3);
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.failed(b, 'j1');
      s.write(a, { type: 'JobRetried', data: { jobId: 'j1', by: 'admin' } });
    });
    expect(job(s)).toMatchObject({ state: 'submitted', attempt: 4 });
    expect(job(s)).not.toHaveProperty('deaths');
    expect(job(s)).not.toHaveProperty('lastDeath');
  });

  it('applying the same batch twice changes nothing', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.start('b');
    });
    let again = s.state;
    for (const r of s.records) again = applyRecord(again, r);
    expect(again).toBe(s.state);
  });
});

describe('decidePoison', () => {
  it('nothing below maxAttempts deaths; E_JOB_GAVE_UP naming the count and the last death at it', () => {
    const s = given((s) => {
      const { a } = pressCluster(s);
      let b = { by: 'b', inc: s.state.cluster.instances.get('b')!.inc };
      s.submit('j1', 'press');
      for (let i = 0; i < 2; i++) {
        s.assign(a, 'j1', b);
        s.started(b, 'j1');
        b = s.start('b');
      }
    });
    expect(decidePoison(job(s), 3)).toBeUndefined();
    const e = decidePoison(job(s), 2);
    expect(e?.code).toBe('E_JOB_GAVE_UP');
    expect(e?.message).toMatch(
      /job j1 was given up: 2 attempts died while processing it \(last: b \(inc \d+\) restarted/,
    );
  });

  it('releases that were not deaths (graceful stops) never make a job poison', () => {
    const s = given((s) => {
      const { a } = pressCluster(s);
      s.submit('j1', 'press');
      for (let i = 0; i < 5; i++) {
        const b = s.start('b');
        s.assign(a, 'j1', b);
        s.started(b, 'j1');
        s.write(b, { type: 'InstanceStopping', data: { instanceId: 'b', inc: b.inc, reason: 'SIGTERM' } });
        s.released(b, 'j1');
        s.write(b, { type: 'InstanceStopped', data: { instanceId: 'b', inc: b.inc } });
      }
    });
    expect(job(s)).toMatchObject({ releases: 5 });
    expect(decidePoison(job(s), 1)).toBeUndefined();
  });
});
