import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LeaseHolder,
  LeaseObserver,
  leaseFile,
  readLease,
  readLeaseFile,
  writeLease,
} from '../../src/cluster/lease.js';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
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

describe('lease writes are fenced by term', () => {
  it('never overwrite a newer term (nor another holder of the same term)', async () => {
    await writeLease(shared, { term: 4, instanceId: 'press2', inc: 9, counter: 1 });
    const err = await writeLease(shared, { ...holder, counter: 8 }).catch((e: unknown) => e);
    expect(isDarkroomError(err, 'E_LEASE_NEWER_TERM')).toBe(true);
    expect((err as Error).message).toMatch(/held for term 4 by press2 \(inc 9\); term 3 is over/);
    const forged = await writeLease(shared, { term: 4, instanceId: 'press1', inc: 7, counter: 2 }).catch(
      (e: unknown) => e,
    );
    expect(isDarkroomError(forged, 'E_LEASE_NEWER_TERM')).toBe(true);
    expect(await readLease(shared)).toEqual({ term: 4, instanceId: 'press2', inc: 9, counter: 1 });
    await writeLease(shared, { term: 5, instanceId: 'press1', inc: 7, counter: 1 });
    expect((await readLease(shared))?.term).toBe(5);
  });
});

describe('LeaseObserver and bad reads', () => {
  it('one unreadable or missing read is not silence; a lease quiet for the whole timeout is', async () => {
    const clock = fakeClock();
    const obs = new LeaseObserver(clock);
    await writeLease(shared, { ...holder, counter: 1 });
    obs.observe(await readLeaseFile(shared));
    clock.advance(3000);
    await writeFile(leaseFile(shared), 'garbage');
    const bad = await readLeaseFile(shared);
    expect(bad.kind).toBe('unreadable');
    obs.observe(bad);
    expect(obs.holds(holder, 6000)).toBe(true);
    await rm(leaseFile(shared));
    obs.observe(await readLeaseFile(shared));
    expect(obs.holds(holder, 6000)).toBe(true);
    await writeLease(shared, { ...holder, counter: 2 });
    clock.advance(3000);
    obs.observe(await readLeaseFile(shared));
    clock.advance(5999);
    expect(obs.holds(holder, 6000)).toBe(true);
    clock.advance(1);
    expect(obs.holds(holder, 6000)).toBe(false);
  });
});
