// coordinatorGap: when an instance judges that no live coordinator exists (and so proposes itself).
import { describe, expect, it } from 'vitest';
import { LeaseObserver } from '../../src/cluster/lease.js';
import type { Clock } from '../../src/clock.js';
import { coordinatorGap } from '../../src/instance/election-watch.js';
import { given } from '../projections/scenario.js';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return { now: () => t, wallTime: () => new Date(0), advance: (ms) => (t += ms) };
}

const opts = (self: { instanceId: string; inc: number }, acting = false) => ({
  self,
  failureTimeoutMs: 1000,
  actingCoordinator: () => acting,
});

describe('coordinatorGap', () => {
  it('reports a gap before the first election', () => {
    const s = given((s) => s.start('a'));
    expect(
      coordinatorGap(s.state, new LeaseObserver(fakeClock()), opts({ instanceId: 'a', inc: 1 })),
    ).toMatch(/no coordinator/);
  });

  it('a coordinator whose lease keeps changing is alive; quiet for the failure timeout, it is not', () => {
    const clock = fakeClock();
    const s = given((s) => s.elect(s.start('a')));
    s.start('b');
    const lease = new LeaseObserver(clock);
    const b = opts({ instanceId: 'b', inc: 3 });
    lease.observe({ term: 1, instanceId: 'a', inc: 1, counter: 1 });
    clock.advance(900);
    lease.observe({ term: 1, instanceId: 'a', inc: 1, counter: 2 });
    clock.advance(900);
    expect(coordinatorGap(s.state, lease, b)).toBeUndefined();
    clock.advance(100);
    lease.observe({ term: 1, instanceId: 'a', inc: 1, counter: 2 });
    expect(coordinatorGap(s.state, lease, b)).toMatch(/quiet for 1000 ms/);
    // A heartbeat saying a acts as coordinator of term 1 keeps it alive without the lease.
    expect(coordinatorGap(s.state, lease, { ...b, heardActing: () => true })).toBeUndefined();
  });

  it('a coordinator restarted since (new incarnation) or stopping is not alive, whatever its lease', () => {
    const clock = fakeClock();
    const lease = new LeaseObserver(clock);
    lease.observe({ term: 1, instanceId: 'a', inc: 1, counter: 9 });
    const restarted = given((s) => {
      s.elect(s.start('a'));
      s.start('a');
    });
    expect(coordinatorGap(restarted.state, lease, opts({ instanceId: 'a', inc: 3 }))).toMatch(/restarted/);
    const stopping = given((s) => {
      const a = s.start('a');
      s.elect(a);
      s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: 1, reason: 'SIGTERM' } });
    });
    expect(coordinatorGap(stopping.state, lease, opts({ instanceId: 'b', inc: 5 }))).toMatch(/stopping/);
  });

  it('the acting coordinator does not judge itself by its own lease file', () => {
    const s = given((s) => s.elect(s.start('a')));
    const lease = new LeaseObserver(fakeClock());
    expect(coordinatorGap(s.state, lease, opts({ instanceId: 'a', inc: 1 }, true))).toBeUndefined();
    expect(coordinatorGap(s.state, lease, opts({ instanceId: 'a', inc: 1 }, false))).toMatch(/lease/);
  });
});
