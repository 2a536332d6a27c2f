// decideElection: the earliest-started live instance proposes itself when no coordinator is alive.
import { describe, expect, it } from 'vitest';
import { decideElection } from '../../src/cluster/decide-election.js';
import { given } from '../projections/scenario.js';

const empty = { events: [], conditions: [] };

describe('decideElection with no coordinator yet', () => {
  it('the earliest-started live instance proposes itself for term 1, fenced by term 0', () => {
    const s = given((s) => {
      s.start('b');
      s.start('a');
    });
    expect(decideElection(s.state, { instanceId: 'b', inc: 1 })).toEqual({
      events: [{ type: 'CoordinatorElected', data: { instanceId: 'b', inc: 1, term: 1 } }],
      conditions: [
        { kind: 'term', term: 0 },
        { kind: 'incarnation', instanceId: 'b', inc: 1 },
      ],
    });
    expect(decideElection(s.state, { instanceId: 'a', inc: 2 })).toEqual(empty);
  });

  it('an instance that is not live (old incarnation, stopping) never proposes itself', () => {
    const s = given((s) => {
      const a = s.start('a');
      s.start('a');
      s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: 2, reason: 'SIGTERM' } });
    });
    expect(decideElection(s.state, { instanceId: 'a', inc: 1 })).toEqual(empty);
    expect(decideElection(s.state, { instanceId: 'a', inc: 2 })).toEqual(empty);
  });

  it('the elected event, once appended, makes the proposer coordinator', () => {
    const s = given((s) => s.start('a'));
    const d = decideElection(s.state, { instanceId: 'a', inc: 1 });
    expect(s.append({ by: 'a', inc: 1 }, d.events, d.conditions)).toBeUndefined();
    expect(s.state.cluster.coordinator).toMatchObject({ instanceId: 'a', term: 1 });
  });
});

describe('decideElection with a coordinator', () => {
  it('nothing while the coordinator is started', () => {
    const s = given((s) => {
      s.elect(s.start('b'));
      s.start('a');
    });
    expect(decideElection(s.state, { instanceId: 'a', inc: 3 })).toEqual(empty);
    expect(decideElection(s.state, { instanceId: 'b', inc: 1 })).toEqual(empty);
  });

  it.each(['stopping', 'stopped', 'lost'] as const)(
    'the next earliest proposes term n+1 when the coordinator is %s',
    (how) => {
      const s = given((s) => {
        const a = s.start('a');
        const b = s.start('b');
        s.start('c');
        s.elect(a);
        if (how === 'lost') {
          // a went silent: b took over in term 2, declared a lost, then stopped itself.
          s.elect(b);
          s.write(b, { type: 'InstanceLost', data: { instanceId: 'a', inc: a.inc, reason: 'silent' } });
          s.write(b, { type: 'InstanceStopped', data: { instanceId: 'b', inc: b.inc } });
        } else {
          s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: a.inc, reason: 'SIGTERM' } });
          if (how === 'stopped')
            s.write(a, { type: 'InstanceStopped', data: { instanceId: 'a', inc: a.inc } });
        }
      });
      const term = s.state.cluster.term;
      const self = how === 'lost' ? { instanceId: 'c', inc: 3 } : { instanceId: 'b', inc: 2 };
      const d = decideElection(s.state, self);
      expect(d?.events).toEqual([{ type: 'CoordinatorElected', data: { ...self, term: term + 1 } }]);
      expect(d?.conditions[0]).toEqual({ kind: 'term', term });
      expect(decideElection(s.state, { instanceId: 'c', inc: 3 }).events.length === 0).toBe(how !== 'lost');
    },
  );

  it('a coordinator the caller judges silent counts as dead, and is no candidate', () => {
    const s = given((s) => {
      s.elect(s.start('a'));
      s.start('b');
      s.start('c');
    });
    const silent = new Set(['a']);
    expect(decideElection(s.state, { instanceId: 'b', inc: 3 }, { silent })?.events[0]?.data).toEqual({
      instanceId: 'b',
      inc: 3,
      term: 2,
    });
    expect(decideElection(s.state, { instanceId: 'c', inc: 4 }, { silent })).toEqual(empty);
    expect(decideElection(s.state, { instanceId: 'c', inc: 4 }, { silent: new Set(['a', 'b']) })).not.toEqual(
      empty,
    );
    // An instance never judges itself silent.
    expect(decideElection(s.state, { instanceId: 'b', inc: 3 }, { silent: new Set(['a', 'b']) })).not.toEqual(
      empty,
    );
  });

  it('two proposals on the same state: the log lets only the first through', () => {
    const s = given((s) => {
      s.start('a');
      s.start('b');
    });
    const da = decideElection(s.state, { instanceId: 'a', inc: 1 }, { silent: new Set(['b']) });
    const db = decideElection(s.state, { instanceId: 'b', inc: 2 }, { silent: new Set(['a']) });
    expect(s.append({ by: 'a', inc: 1 }, da.events, da.conditions)).toBeUndefined();
    expect(s.append({ by: 'b', inc: 2 }, db.events, db.conditions)?.condition).toEqual({
      kind: 'term',
      term: 0,
    });
    expect(s.state.cluster.coordinator).toMatchObject({ instanceId: 'a', term: 1 });
  });
});

describe('decideElection converges whoever died before', () => {
  it('a dead non-coordinator with the lowest incarnation, judged silent, does not block the election', () => {
    const s = given((s) => {
      s.start('a');
      const b = s.start('b');
      s.start('c');
      s.elect(b);
    });
    // b (coordinator) and a (earliest) are both silent: c is elected.
    const d = decideElection(s.state, { instanceId: 'c', inc: 3 }, { silent: new Set(['a', 'b']) });
    expect(d.events[0]?.data).toEqual({ instanceId: 'c', inc: 3, term: 2 });
  });

  it('the k-th candidate proposes once the gap has lasted k steps; the first at once', () => {
    const s = given((s) => {
      s.start('a');
      s.start('b');
      s.start('c');
    });
    const opts = (gapForMs: number) => ({ gapForMs, stepMs: 100 });
    expect(decideElection(s.state, { instanceId: 'a', inc: 1 }, opts(0)).events).toHaveLength(1);
    expect(decideElection(s.state, { instanceId: 'b', inc: 2 }, opts(99))).toEqual(empty);
    expect(decideElection(s.state, { instanceId: 'b', inc: 2 }, opts(100)).events).toHaveLength(1);
    expect(decideElection(s.state, { instanceId: 'c', inc: 3 }, opts(199))).toEqual(empty);
    expect(decideElection(s.state, { instanceId: 'c', inc: 3 }, opts(200)).events).toHaveLength(1);
  });

  it('a coordinator the caller judges gone (itself, stepped down) lets the caller propose the next term', () => {
    const s = given((s) => {
      s.elect(s.start('a'));
    });
    expect(decideElection(s.state, { instanceId: 'a', inc: 1 })).toEqual(empty);
    const d = decideElection(s.state, { instanceId: 'a', inc: 1 }, { coordinatorGone: true });
    expect(d.events[0]?.data).toEqual({ instanceId: 'a', inc: 1, term: 2 });
    expect(d.conditions).toEqual([
      { kind: 'term', term: 1 },
      { kind: 'incarnation', instanceId: 'a', inc: 1 },
    ]);
  });
});
