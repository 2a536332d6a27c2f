// Unreadable lease reads with real processes: while the coordinator runs, the test keeps
// replacing its lease file with a torn copy or removing it (each read of another instance may
// find nothing usable), for twice the failure timeout. The follower hears no heartbeats (its conf
// holds another secret, so the mesh refuses it): only the lease tells it the coordinator lives.
// One bad read is not silence: no failover, no step-down, one election in all.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, type RunningInstance } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, startAt, type Cluster } from './cluster-harness.js';

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
    const begun = performance.now();
    let torn = 0;
    let removed = 0;
    await waitFor(
      'twice the failure timeout of bad lease reads',
      async () => {
        const good = await readFile(lease, 'utf8').catch(() => '');
        if ((torn + removed) % 3 === 2) {
          await rm(lease, { force: true });
          removed++;
        } else {
          const tmp = `${lease}.test-${torn}`;
          await writeFile(tmp, good.slice(0, Math.floor(good.length / 2)) || '{"term":');
          await rename(tmp, lease);
          torn++;
        }
        return performance.now() - begun > 2 * timeoutMs;
      },
      6 * timeoutMs,
    );
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
    expect(torn).toBeGreaterThan(3);
    expect(removed).toBeGreaterThan(1);

    for (const r of [a, b]) r.signal('SIGTERM');
    for (const r of [a, b]) expect(await r.exited, r.output().slice(-2000)).toBe(0);
  });
});
