// decideLost and judgeInstance: an instance is lost only when its heartbeats and its alive file
// have both been quiet for the failure timeout (or its drive has hung that long), judged by the
// observer's clock; only the acting coordinator declares it, fenced by term and incarnation.
import { describe, expect, it } from 'vitest';
import { decideAssignments } from '../../src/cluster/decide-assignments.js';
import { decideLost, judgeInstance, unavailableInstances } from '../../src/cluster/decide-lost.js';
import { given } from '../projections/scenario.js';

const T = { failureTimeoutMs: 1000 };

describe('judgeInstance', () => {
  it('alive, suspect, silent as heartbeats and the alive file go quiet together', () => {
    const obs = { inc: 2, firstSeenAt: 0, heardAt: 100, aliveChangedAt: 100 };
    expect(judgeInstance(obs, 599, T)).toBe('alive');
    expect(judgeInstance(obs, 600, T)).toBe('suspect');
    expect(judgeInstance(obs, 1099, T)).toBe('suspect');
    expect(judgeInstance(obs, 1100, T)).toBe('silent');
  });

  it('a changing alive file without heartbeats is unreachable, never silent', () => {
    expect(judgeInstance({ inc: 2, firstSeenAt: 0, heardAt: 0, aliveChangedAt: 4900 }, 5000, T)).toBe(
      'unreachable',
    );
  });

  it('heartbeats saying the drive is stalled: stalled', () => {
    expect(
      judgeInstance({ inc: 2, firstSeenAt: 0, heardAt: 4900, aliveChangedAt: 100, stalled: true }, 5000, T),
    ).toBe('stalled');
  });

  it('a newly seen incarnation gets one whole timeout from when the observer first knew it', () => {
    expect(judgeInstance({ inc: 2, firstSeenAt: 5000 }, 5999, T)).toBe('suspect');
    expect(judgeInstance({ inc: 2, firstSeenAt: 5000 }, 6000, T)).toBe('silent');
  });
});

describe('decideLost', () => {
  const s = given((s) => {
    s.elect(s.start('a'));
    s.start('b');
    s.start('c');
  });
  const coordinator = { instanceId: 'a', inc: 1, term: 1 };

  it('declares silent incarnations lost, fenced by the term and each lost incarnation', () => {
    const observations = new Map([
      ['b', { inc: 3, firstSeenAt: 0, heardAt: 100, aliveChangedAt: 200 }],
      ['c', { inc: 4, firstSeenAt: 0, heardAt: 1150, aliveChangedAt: 200 }],
    ]);
    const d = decideLost(s.state, coordinator, observations, 1200, T);
    expect(d.events).toEqual([
      {
        type: 'InstanceLost',
        data: {
          instanceId: 'b',
          inc: 3,
          reason:
            'no heartbeat for 1100 ms and no sign of life on the drive for 1000 ms (failure timeout 1000 ms)',
        },
      },
    ]);
    expect(d.conditions).toEqual([
      { kind: 'coordinator', instanceId: 'a', inc: 1, term: 1 },
      { kind: 'incarnation', instanceId: 'b', inc: 3, statuses: ['started', 'stopping'] },
    ]);
    // Appended, it releases b's jobs and passes the replay rules.
    expect(s.append({ by: 'a', inc: 1 }, d.events, d.conditions)).toBeUndefined();
    expect(s.state.cluster.instances.get('b')?.status).toBe('lost');
  });

  it('an instance whose drive has hung for the timeout is lost although it heartbeats', () => {
    const t = given((s) => {
      s.elect(s.start('a'));
      s.start('b');
    });
    const stalled = { inc: 3, firstSeenAt: 0, heardAt: 2000, aliveChangedAt: 100, stalled: true };
    expect(
      decideLost(t.state, coordinator, new Map([['b', { ...stalled, storageOkAt: 1100 }]]), 2050, T).events,
    ).toEqual([]);
    expect(
      decideLost(t.state, coordinator, new Map([['b', { ...stalled, storageOkAt: 1000 }]]), 2050, T).events[0]
        ?.data.reason,
    ).toMatch(/drive calls have hung for 1050 ms \(storage stalled/);
  });

  it('nothing from a coordinator that is not acting, nor about an incarnation it has not watched', () => {
    const silent = new Map([['b', { inc: 3, firstSeenAt: 0 }]]);
    expect(decideLost(s.state, { ...coordinator, term: 2 }, silent, 9999, T).events).toEqual([]);
    expect(
      decideLost(s.state, coordinator, new Map([['c', { inc: 99, firstSeenAt: 0 }]]), 9999, T).events,
    ).toEqual([]);
  });
});

describe('decideAssignments with unfit instances', () => {
  it('gives no new work to an instance judged unfit', () => {
    const s = given((s) => {
      s.elect(s.start('a'));
      s.start('b');
      s.channel('press');
      s.submit('j1', 'press');
      s.submit('j2', 'press');
    });
    const unavailable = unavailableInstances(
      new Map([['b', { inc: 2, firstSeenAt: 0, heardAt: 900, stalled: true }]]),
      1000,
      T,
    );
    expect([...unavailable]).toEqual(['b']);
    const d = decideAssignments(s.state, { instanceId: 'a', inc: 1, term: 1 }, { unavailable });
    expect(d.events.map((e) => e.data.instanceId)).toEqual(['a', 'a']);
  });
});
