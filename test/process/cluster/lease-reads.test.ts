// Unreadable lease reads with real processes: while the coordinator runs, the test replaces its
// lease file with a torn copy or removes it, each bad lease left until the coordinator has renewed
// it, then the good lease left alone for a few renewals (longer than the follower's 1 s view cache)
// before the next, for at least twice the failure timeout. The follower hears no heartbeats (its
// conf holds another secret, so the mesh refuses it): only the lease tells it the coordinator
// lives. A bad read now and then is not silence: no failover, no step-down, one election in all.
//
// Why the good spell: through a view with a 1 s attribute and negative-entry cache (another
// server's NFS client), one torn or missing lease stays torn or missing for that reader for up to
// a second after the coordinator has rewritten it. A first version damaged the lease again as soon
// as it saw the renewal (every ~0.35 s): the follower then read nothing usable for seconds on end
// (27 bad reads in a row, 6.7 s without a good one, in a measurement of the same pattern), a lease
// quiet for the whole timeout, and an election (b@2) was the right answer (docs/cluster.md).
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, type RunningInstance } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, startAt, type Cluster } from './cluster-harness.js';

/** Renewals of a good lease between two bad ones (the coordinator renews every 250 ms). */
const GOOD_RENEWALS = 6;

let cluster: Cluster | undefined;
const extra: RunningInstance[] = [];
afterEach(async () => {
  for (const r of extra.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exited;
  }
  await cluster?.cleanup();
  cluster = undefined;
});

describe('unreadable lease reads', () => {
  it('a torn or missing lease for a read at a time is no failover, even with no heartbeats heard', async () => {
    const c = (cluster = await makeCluster(['a', 'b']));
    const a = c.start('a');
    await running(a, 'a running');
    // b's own copy of the conf with another secret: a and b refuse each other on the cluster port.
    const confB = join(c.drive.root, 'ClaroServers-b.conf');
    const text = await readFile(c.drive.conf, 'utf8');
    await writeFile(confB, text.replace(/^secret = \w+$/m, `secret = ${'0'.repeat(64)}`));
    const b = startAt(confB, 'b', c.views.get('b')!);
    extra.push(b);
    await running(b, 'b running');
    await waitFor(
      'b refused on the cluster port',
      () => /does not know the cluster secret/.test(a.output()),
      30_000,
      a.output,
    );
    expect((await c.coordinator())?.instanceId).toBe('a');

    const lease = join(c.drive.shared, 'cluster', 'lease.json');
    const timeoutMs = Number(clusterConf['failureTimeoutMs']);
    const counter = async (): Promise<number | undefined> => {
      try {
        return (JSON.parse(await readFile(lease, 'utf8')) as { counter?: number }).counter;
      } catch {
        return undefined;
      }
    };
    // One bad lease at a time (torn, then missing, in turn), each until the coordinator has
    // renewed it, then GOOD_RENEWALS renewals (1.5 s at 250 ms) of a good lease: every reader may
    // hit a bad read now and then, and still reads a good lease within its view's cache time.
    const begun = performance.now();
    let torn = 0;
    let removed = 0;
    while (performance.now() - begun < 2 * timeoutMs || torn < 4 || removed < 3) {
      const renewed = await waitFor('a lease', counter, 30_000);
      const good = await waitFor(
        'a good lease for a few renewals',
        async () => {
          const now = await counter();
          return now !== undefined && now >= renewed + GOOD_RENEWALS ? now : undefined;
        },
        30_000,
      );
      if ((torn + removed) % 2 === 1) {
        await rm(lease, { force: true });
        removed++;
      } else {
        const text = await readFile(lease, 'utf8').catch(() => '{"term":1,');
        const tmp = `${lease}.test-${torn}`;
        await writeFile(tmp, text.slice(0, Math.floor(text.length / 2)));
        await rename(tmp, lease);
        torn++;
      }
      await waitFor('the coordinator renewed its lease', async () => ((await counter()) ?? 0) > good, 30_000);
    }
    // One more failure timeout with the lease left alone: a late election would show here.
    const after = performance.now();
    await waitFor('a failure timeout more', () => performance.now() - after > timeoutMs, 3 * timeoutMs);

    const records = await c.records();
    const elections = records
      .filter((r) => r.type === 'CoordinatorElected')
      .map((r) => `${r.data.instanceId}@${r.data.term}`);
    expect(elections, `${torn} torn and ${removed} removed leases`).toEqual(['a@1']);
    expect(a.output()).not.toMatch(/stepping down as coordinator/);
    expect(b.output()).not.toMatch(/acting as coordinator/);
    expect(torn).toBeGreaterThanOrEqual(4);
    expect(removed).toBeGreaterThanOrEqual(3);

    for (const r of [a, b]) r.signal('SIGTERM');
    for (const r of [a, b]) expect(await r.exited, r.output().slice(-2000)).toBe(0);
  });
});
