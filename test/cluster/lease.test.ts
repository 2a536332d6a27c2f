import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseHolder, LeaseObserver, leaseFile, readLease, writeLease } from '../../src/cluster/lease.js';
import type { Clock } from '../../src/clock.js';

let shared: string;
beforeEach(async () => {
  shared = await mkdtemp(join(tmpdir(), 'darkroom-lease-'));
});
afterEach(async () => {
  await rm(shared, { recursive: true, force: true });
});

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, wallTime: () => new Date(0), advance: (ms) => (t += ms) };
}

const holder = { term: 3, instanceId: 'press1', inc: 7 };

describe('lease file', () => {
  it('reads back what was written', async () => {
    await writeLease(shared, { ...holder, counter: 5 });
    expect(await readLease(shared)).toEqual({ ...holder, counter: 5 });
  });

  it('reads a missing or garbled lease as none', async () => {
    expect(await readLease(shared)).toBeUndefined();
    await mkdir(join(shared, 'cluster'));
    await writeFile(leaseFile(shared), '{"term":');
    expect(await readLease(shared)).toBeUndefined();
  });
});

describe('LeaseObserver', () => {
  it('a lease whose counter keeps changing stays alive', async () => {
    const clock = fakeClock();
    const obs = new LeaseObserver(clock);
    const h = new LeaseHolder(shared, clock, holder);
    for (let i = 0; i < 5; i++) {
      await h.renew();
      obs.observe(await readLease(shared));
      clock.advance(4000);
      expect(obs.holds(holder, 6000)).toBe(true);
    }
  });

  it('a lease that went quiet for the failure timeout is not alive', async () => {
    const clock = fakeClock();
    const obs = new LeaseObserver(clock);
    await writeLease(shared, { ...holder, counter: 1 });
    obs.observe(await readLease(shared));
    clock.advance(5999);
    obs.observe(await readLease(shared));
    expect(obs.holds(holder, 6000)).toBe(true);
    clock.advance(1);
    expect(obs.holds(holder, 6000)).toBe(false);
  });

  it('a lease naming another term or incarnation does not count for the holder', async () => {
    const obs = new LeaseObserver(fakeClock());
    obs.observe({ ...holder, inc: 6, counter: 9 });
    expect(obs.holds(holder, 6000)).toBe(false);
  });

  it('the holder knows how long since it last renewed', async () => {
    const clock = fakeClock();
    const h = new LeaseHolder(shared, clock, holder);
    await h.renew();
    clock.advance(2500);
    expect(h.sinceRenewedMs()).toBe(2500);
  });
});
