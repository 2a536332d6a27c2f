// applyRecord and the replay rules: idempotence, provenance, and the fences every reader applies
// the same way (stale term, writer not the coordinator, stale attempt, zombie incarnation).
import { describe, expect, it } from 'vitest';
import { applyRecord, applyRecords } from '../../src/projections/apply-record.js';
import { initialState } from '../../src/projections/initial-state.js';
import { given, pressCluster } from './scenario.js';

describe('applyRecord: provenance and idempotence', () => {
  it('applying the same batch twice changes nothing', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
    });
    const once = applyRecords(initialState(), s.records);
    const twice = applyRecords(once, s.records);
    expect(twice).toBe(once);
    expect(applyRecords(once, s.records.slice(3))).toBe(once);
  });

  it('meta.seq and meta.hash advance for every record, applied or ignored', () => {
    const s = given((s) => {
      s.channel('press');
      s.channel('press');
    });
    expect(s.state.meta).toMatchObject({ seq: 2, hash: 'h2' });
    expect(s.ignored('ChannelCreated')).toBe(1);
  });

  it('an ignored record changes only meta', () => {
    const s = given((s) => s.channel('press'));
    const before = s.state;
    s.channel('press');
    expect(s.state.config).toBe(before.config);
    expect(s.state.jobs).toBe(before.jobs);
    expect(s.state.cluster).toBe(before.cluster);
    expect(s.state.meta.seq).toBe(2);
  });

  it('a record that concerns one part leaves the other parts identical', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
    });
    const before = s.state;
    s.submit('j2', 'press');
    expect(s.state.config).toBe(before.config);
    expect(s.state.cluster).toBe(before.cluster);
    expect(s.state.jobs.all.get('j1')).toBe(before.jobs.all.get('j1'));
    expect(applyRecord(s.state, s.records[0]!)).toBe(s.state);
  });
});

describe('replay rules: coordinator-only events', () => {
  it('a JobAssigned with a stale term is ignored and counted', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.elect(b); // b took over in term 2 (a was silent)
      s.assign(a, 'j1', a, 1); // a resumes, still believing in term 1
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'submitted', attempt: 0 });
    expect(s.ignored('JobAssigned')).toBe(1);
  });

  it('a JobAssigned at the current term by a non-coordinator is ignored', () => {
    const s = given((s) => {
      const { b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(b, 'j1', b);
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('submitted');
    expect(s.ignored('JobAssigned')).toBe(1);
  });

  it('a JobAssigned by an older incarnation of the coordinator is ignored', () => {
    const s = given((s) => {
      const { a } = pressCluster(s);
      s.submit('j1', 'press');
      s.start('a'); // a restarted: term 1 has no acting coordinator any more
      s.assign(a, 'j1', a);
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('submitted');
    expect(s.ignored('JobAssigned')).toBe(1);
  });

  it('a JobAssigned to a stopping instance, or for a job not submitted, or at a wrong attempt, is ignored', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.submit('j2', 'press');
      s.write(b, { type: 'InstanceStopping', data: { instanceId: 'b', inc: b.inc, reason: 'SIGTERM' } });
      s.assign(a, 'j1', b);
      s.assign(a, 'j2', a);
      s.assign(a, 'j2', a); // already assigned
      s.write(a, { type: 'JobAssigned', data: { jobId: 'j1', instanceId: 'a', inc: a.inc, attempt: 3 } });
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('submitted');
    expect(s.state.jobs.all.get('j2')).toMatchObject({ state: 'assigned', attempt: 1, instanceId: 'a' });
    expect(s.ignored('JobAssigned')).toBe(3);
  });
});

describe('replay rules: worker events', () => {
  it('a worker event for a stale attempt is ignored', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.started(b, 'j1');
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'b', inc: b.inc, reason: 'silent' } });
      s.assign(a, 'j1', a); // attempt 2
      s.completed(b, 'j1', 1); // b was only paused: its late outcome for attempt 1
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'assigned', attempt: 2, instanceId: 'a' });
    expect(s.ignored('JobCompleted')).toBe(1);
  });

  it('a late event from the same holder for its earlier attempt is ignored', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.released(b, 'j1'); // b gave attempt 1 up (drain timeout), then got the job again
      s.assign(a, 'j1', b);
      s.failed(b, 'j1', 1); // the abandoned attempt 1 reports late
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'assigned', attempt: 2, instanceId: 'b' });
    expect(s.ignored('JobFailed')).toBe(1);
  });

  it('a zombie incarnation’s events are ignored even at the current attempt', () => {
    const s = given((s) => {
      const { a } = pressCluster(s);
      const c1 = s.start('c');
      s.submit('j1', 'press');
      s.assign(a, 'j1', c1);
      const c2 = s.start('c'); // c restarted: j1 released
      s.assign(a, 'j1', c2);
      s.started(c1, 'j1', 2); // the old process wakes up and claims attempt 2
      s.completed(c1, 'j1', 2);
    });
    expect(s.state.jobs.all.get('j1')).toMatchObject({ state: 'assigned', attempt: 2, releases: 1 });
    expect(s.ignored('JobStarted')).toBe(1);
    expect(s.ignored('JobCompleted')).toBe(1);
  });

  it('a worker event by an instance that does not hold the job is ignored', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.failed(a, 'j1');
      s.released(a, 'j1');
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('assigned');
    expect(s.ignored('JobFailed')).toBe(1);
    expect(s.ignored('JobReleased')).toBe(1);
  });

  it('JobStarted must name its writer and find the job assigned', () => {
    const s = given((s) => {
      const { a, b } = pressCluster(s);
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.write(b, { type: 'JobStarted', data: { jobId: 'j1', instanceId: 'a', attempt: 1 } });
      s.started(b, 'j1');
      s.started(b, 'j1');
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('processing');
    expect(s.ignored('JobStarted')).toBe(2);
  });
});
