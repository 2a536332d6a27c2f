// The jobs projection: the job state machine, the open set, releases when incarnations end.
import { describe, expect, it } from 'vitest';
import { cli, given, pressCluster } from './scenario.js';

describe('jobs projection: the happy path', () => {
  it('submitted -> assigned -> processing -> completed, leaving the open set', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'submitted', attempt: 0, releases: 0 });
      expect(s.state.jobs.all.get('j1')).not.toHaveProperty('instanceId');
      s.assign(a, 'j1', b);
      expect(s.state.jobs.all.get('j1')).toMatchObject({
        state: 'assigned',
        attempt: 1,
        instanceId: 'b',
        inc: b.inc,
      });
      s.started(b, 'j1');
      expect(s.state.jobs.all.get('j1')?.state).toBe('processing');
      expect([...s.state.jobs.open]).toEqual(['j1']);
      s.completed(b, 'j1');
    });
    const job = s.state.jobs.all.get('j1');
    expect(job).toMatchObject({
      state: 'completed',
      attempt: 1,
      instanceId: 'b',
      outcome: 'processed',
      outputs: ['out/j1.jpg'],
      timingsMs: { total: 12 },
      submitted: { seq: 5 },
      updated: { seq: 8 },
    });
    expect(Object.isFrozen(job)).toBe(true);
    expect(s.state.jobs.open.size).toBe(0);
    expect(s.state.jobs.lastAssigned.get('press')).toBe(6);
  });

  it('a second JobSubmitted with the same id is ignored', () => {
    const s = given((s) => {
      s.channel('press');
      s.submit('j1', 'press');
      s.submit('j1', 'other');
    });
    expect(s.state.jobs.all.get('j1')?.channel).toBe('press');
    expect(s.ignored('JobSubmitted')).toBe(1);
  });

  it('the open set keeps submission order', () => {
    const s = given((s) => {
      s.channel('press');
      for (const id of ['j3', 'j1', 'j2']) s.submit(id, 'press');
    });
    expect([...s.state.jobs.open]).toEqual(['j3', 'j1', 'j2']);
  });
});

describe('jobs projection: failures, review, retry, cancel', () => {
  it('a failed job keeps its error; JobRetried puts it back at the end of the open set', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.submit('j2', 'press');
      s.assign(a, 'j1', b);
      s.failed(b, 'j1');
      expect(s.state.jobs.all.get('j1')).toMatchObject({
        state: 'failed',
        error: { code: 'E_IMAGE_CORRUPT', message: 'broken', badPath: 'bad/j1.jpg' },
      });
      expect([...s.state.jobs.open]).toEqual(['j2']);
      s.write(cli, { type: 'JobRetried', data: { jobId: 'j1', by: 'ann' } });
    });
    const job = s.state.jobs.all.get('j1');
    expect(job).toMatchObject({ state: 'submitted', attempt: 1 });
    expect(job).not.toHaveProperty('error');
    expect(job).not.toHaveProperty('instanceId');
    expect([...s.state.jobs.open]).toEqual(['j2', 'j1']);
  });

  it('JobRetried of a job that has not failed is ignored', () => {
    const s = given((s) => {
      s.channel('press');
      s.submit('j1', 'press');
      s.write(cli, { type: 'JobRetried', data: { jobId: 'j1', by: 'ann' } });
    });
    expect(s.ignored('JobRetried')).toBe(1);
  });

  it('review, then approved -> completed or rejected -> failed (default) or cancelled', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      for (const id of ['j1', 'j2', 'j3']) {
        s.submit(id, 'press');
        s.assign(a, id, b);
        s.write(b, {
          type: 'JobReviewRequested',
          data: { jobId: id, attempt: 1, verdict: { ok: false }, preview: `p/${id}.jpg` },
        });
      }
      expect(s.state.jobs.all.get('j1')).toMatchObject({
        state: 'review',
        verdict: { ok: false },
        preview: 'p/j1.jpg',
      });
      expect(s.state.jobs.open.size).toBe(3);
      s.write(cli, { type: 'JobApproved', data: { jobId: 'j1', by: 'ann' } });
      s.write(cli, { type: 'JobRejected', data: { jobId: 'j2', by: 'bob', reason: 'too dark' } });
      s.write(cli, {
        type: 'JobRejected',
        data: { jobId: 'j3', by: 'bob', reason: 'duplicate', to: 'cancelled' },
      });
    });
    const all = s.state.jobs.all;
    expect(all.get('j1')).toMatchObject({ state: 'completed', review: { decision: 'approved', by: 'ann' } });
    expect(all.get('j2')).toMatchObject({
      state: 'failed',
      error: { code: 'E_JOB_REJECTED' },
      review: { decision: 'rejected', by: 'bob', reason: 'too dark' },
    });
    expect(all.get('j3')).toMatchObject({
      state: 'cancelled',
      cancelled: { by: 'bob', reason: 'duplicate' },
    });
    expect(s.state.jobs.open.size).toBe(0);
  });

  it('approving a job that is not in review is ignored', () => {
    const s = given((s) => {
      s.channel('press');
      s.submit('j1', 'press');
      s.write(cli, { type: 'JobApproved', data: { jobId: 'j1', by: 'ann' } });
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('submitted');
    expect(s.ignored('JobApproved')).toBe(1);
  });

  it('cancel works on any open job and not on a final one', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.write(cli, { type: 'JobCancelled', data: { jobId: 'j1', by: 'ann', reason: 'wrong file' } });
      s.write(cli, { type: 'JobCancelled', data: { jobId: 'j1', by: 'ann', reason: 'again' } });
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({
      state: 'cancelled',
      cancelled: { reason: 'wrong file' },
    });
    expect(s.ignored('JobCancelled')).toBe(1);
  });
});

describe('jobs projection: releases', () => {
  it('JobReleased by the holder sends the job back to submitted and counts the release', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.released(b, 'j1');
    });
    const job = s.state.jobs.all.get('j1');
    expect(job).toMatchObject({ state: 'submitted', attempt: 1, releases: 1 });
    expect(job).not.toHaveProperty('instanceId');
    expect(job).not.toHaveProperty('inc');
  });

  it('InstanceStopped releases what the incarnation holds, not its finished jobs nor others', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      for (const id of ['j1', 'j2', 'j3', 'j4']) s.submit(id, 'press');
      s.assign(a, 'j1', b);
      s.assign(a, 'j2', b);
      s.assign(a, 'j3', b);
      s.assign(a, 'j4', a);
      s.started(b, 'j2');
      s.completed(b, 'j3');
      s.write(b, { type: 'InstanceStopped', data: { instanceId: 'b', inc: b.inc } });
    });
    const all = s.state.jobs.all;
    expect(all.get('j1')).toMatchObject({ state: 'submitted', releases: 1 });
    expect(all.get('j2')).toMatchObject({ state: 'submitted', releases: 1 });
    expect(all.get('j3')).toMatchObject({ state: 'completed', releases: 0 });
    expect(all.get('j4')).toMatchObject({ state: 'assigned', instanceId: 'a', releases: 0 });
  });

  it('InstanceLost releases the lost incarnation’s jobs', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'b', inc: b.inc, reason: 'silent 6000 ms' } });
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'submitted', releases: 1 });
  });

  it('a new incarnation of the holder releases the old incarnation’s jobs', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.start('b');
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'submitted', releases: 1 });
  });

  it('a released job gets the next attempt when assigned again', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.released(b, 'j1');
      s.assign(a, 'j1', a);
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'assigned', attempt: 2, instanceId: 'a' });
  });
});
