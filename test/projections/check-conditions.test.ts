// checkConditions: the first condition that no longer holds, with a detail a person can act on.
import { describe, expect, it } from 'vitest';
import { checkConditions } from '../../src/projections/check-conditions.js';
import { given, pressCluster } from './scenario.js';

describe('checkConditions', () => {
  const s = given((s) => {
    const { a, b } = pressCluster(s);
    s.write(
      { by: 'cli:bob', inc: 0 },
      {
        type: 'ChannelUpdated',
        data: { channel: 'press', revision: 1, settings: { priority: 80 }, changed: ['priority'] },
      },
    );
    s.submit('j1', 'press');
    s.assign(a, 'j1', b);
    s.write(b, { type: 'InstanceStopping', data: { instanceId: 'b', inc: b.inc, reason: 'SIGTERM' } });
  });
  const state = s.state;

  it('all holding gives undefined', () => {
    expect(
      checkConditions(state, [
        { kind: 'term', term: 1 },
        { kind: 'coordinator', instanceId: 'a', inc: 1, term: 1 },
        { kind: 'channelRevision', channel: 'press', revision: 2 },
        { kind: 'channelRevision', channel: 'web', revision: 0 },
        { kind: 'jobState', jobId: 'j1', states: ['assigned', 'processing'], attempt: 1 },
        { kind: 'jobState', jobId: 'j1', states: ['assigned'] },
        { kind: 'jobAbsent', jobId: 'j2' },
        { kind: 'incarnation', instanceId: 'a', inc: 1 },
      ]),
    ).toBeUndefined();
    expect(checkConditions(state, [])).toBeUndefined();
  });

  it('a stale channel revision names who changed it and when', () => {
    const f = checkConditions(state, [
      { kind: 'term', term: 1 },
      { kind: 'channelRevision', channel: 'press', revision: 1 },
    ]);
    expect(f?.condition).toEqual({ kind: 'channelRevision', channel: 'press', revision: 1 });
    expect(f?.detail).toBe(
      'channel press is at revision 2, changed by cli:bob at 2026-11-25T13:00:05.000Z (seq 5)',
    );
  });

  it('a channel that must not exist, or must exist', () => {
    expect(
      checkConditions(state, [{ kind: 'channelRevision', channel: 'press', revision: 0 }])?.detail,
    ).toMatch(/^channel press exists \(revision 2, created by cli:ann at .* \(seq 4\)\)$/);
    expect(checkConditions(state, [{ kind: 'channelRevision', channel: 'web', revision: 3 }])?.detail).toBe(
      'channel web does not exist',
    );
  });

  it('a moved term names the elected coordinator', () => {
    expect(checkConditions(state, [{ kind: 'term', term: 0 }])?.detail).toMatch(
      /^coordinator term is 1: a was elected by a at .* \(seq 3\)$/,
    );
  });

  it('coordinator: wrong instance, wrong term, or not acting', () => {
    expect(checkConditions(state, [{ kind: 'coordinator', instanceId: 'b', inc: 2, term: 1 }])?.detail).toBe(
      'a (inc 1) is coordinator of term 1',
    );
    expect(checkConditions(state, [{ kind: 'coordinator', instanceId: 'a', inc: 1, term: 2 }])?.detail).toBe(
      'coordinator term is 1',
    );
    const stopped = given((s) => {
      const a = s.start('a');
      s.elect(a);
      s.write(a, { type: 'InstanceStopped', data: { instanceId: 'a', inc: 1 } });
    });
    expect(
      checkConditions(stopped.state, [{ kind: 'coordinator', instanceId: 'a', inc: 1, term: 1 }])?.detail,
    ).toBe('coordinator a (inc 1) is stopped');
  });

  it('a job in another state or attempt says where it is', () => {
    const f = checkConditions(state, [{ kind: 'jobState', jobId: 'j1', states: ['submitted'], attempt: 0 }]);
    expect(f?.detail).toMatch(
      /^job j1 is assigned at attempt 1 on b \(inc 2\), changed by a at .* \(seq 7\)$/,
    );
    expect(
      checkConditions(state, [{ kind: 'jobState', jobId: 'j1', states: ['assigned'], attempt: 2 }]),
    ).toBeDefined();
    expect(checkConditions(state, [{ kind: 'jobState', jobId: 'nope', states: ['assigned'] }])?.detail).toBe(
      'job nope does not exist',
    );
    expect(checkConditions(state, [{ kind: 'jobAbsent', jobId: 'j1' }])?.detail).toMatch(
      /^job j1 exists \(assigned/,
    );
  });

  it('an incarnation that is stopping, replaced or unknown is not live', () => {
    expect(checkConditions(state, [{ kind: 'incarnation', instanceId: 'b', inc: 2 }])?.detail).toMatch(
      /^b incarnation 2 is stopping \(by b at .* \(seq 8\)\)$/,
    );
    expect(checkConditions(state, [{ kind: 'incarnation', instanceId: 'a', inc: 7 }])?.detail).toMatch(
      /^a is now incarnation 1, started by a at/,
    );
    expect(checkConditions(state, [{ kind: 'incarnation', instanceId: 'zed', inc: 1 }])?.detail).toBe(
      'zed has never started',
    );
  });

  it('returns the first failing condition of several', () => {
    const f = checkConditions(state, [
      { kind: 'term', term: 1 },
      { kind: 'jobAbsent', jobId: 'j1' },
      { kind: 'term', term: 9 },
    ]);
    expect(f?.condition.kind).toBe('jobAbsent');
  });
});
