// Failover with real processes: three instances work on a batch; the earliest-started
// non-coordinator is SIGKILLed in the middle of a job (its jobs finish elsewhere), then the
// coordinator (the third instance is elected within the timeout); every photo still ends exactly once.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/events/log-record.js';
import { dropSamples, listFiles, outcomes, putChannel, waitFor } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

/** Jobs the instance `id` has started and not finished, by the log. */
function heldBy(records: readonly LogRecord[], id: string): Set<string> {
  const held = new Set<string>();
  for (const r of records) {
    if (r.type === 'JobStarted' && r.by === id) held.add(r.data.jobId);
    if (r.type === 'JobCompleted' || r.type === 'JobFailed' || r.type === 'JobReleased')
      held.delete(r.data.jobId);
  }
  return held;
}

describe('failover', () => {
  it('SIGKILL a worker mid-job, then the coordinator: jobs finish elsewhere, the third instance is elected, each photo exactly once', async () => {
    const c = (cluster = await makeCluster(['a', 'b', 'c'], { ...clusterConf, slots: '1' }));
    await putChannel(c.drive.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    for (const id of c.ids) await running(c.start(id), `${id} running`);
    expect((await c.coordinator())?.instanceId).toBe('a');
    const kinds = await dropSamples(join(c.drive.shared, 'hotfolders', 'press', 'in'), 60);
    const describe = async (): Promise<string> => {
      const recs = await c.records();
      return recs
        .filter((r) => r.type.startsWith('Instance') || r.type === 'CoordinatorElected')
        .map((r) => `${r.seq} ${r.by} ${r.type} ${JSON.stringify(r.data)}`)
        .join('\n');
    };

    // b, the earliest-started non-coordinator, dies in the middle of a job.
    const held = await waitFor(
      'b processing a job',
      async () => {
        const h = heldBy(await c.records(), 'b');
        return h.size > 0 ? h : undefined;
      },
      90_000,
    );
    c.proc('b').signal('SIGKILL');
    expect(await c.proc('b').exited).toBe('SIGKILL');
    await waitFor(
      'b declared lost',
      async () => (await c.records()).some((r) => r.type === 'InstanceLost' && r.data.instanceId === 'b'),
      60_000,
      describe,
    );
    await waitFor(
      "b's jobs finished elsewhere",
      async () => {
        const recs = await c.records();
        return [...held].every((jobId) =>
          recs.some((r) => r.type === 'JobCompleted' && r.data.jobId === jobId && r.by !== 'b'),
        );
      },
      90_000,
      describe,
    );

    // Then the coordinator dies: c is the only live instance left and must be elected.
    c.proc('a').signal('SIGKILL');
    expect(await c.proc('a').exited).toBe('SIGKILL');
    const killedAt = performance.now();
    await waitFor('c elected', async () => (await c.coordinator())?.instanceId === 'c', 60_000, describe);
    const failoverMs = performance.now() - killedAt;

    await waitFor(
      '60 outcomes',
      async () => (await outcomes(c.drive.shared)).final.size >= 60,
      150_000,
      async () => `${await describe()}\n${c.proc('c').output().slice(-2000)}`,
    );
    // a held no job when it died, so nothing waited on its InstanceLost: it may come a beat later.
    await waitFor(
      'a and b declared lost',
      async () => {
        const lost = (await c.records())
          .filter((r) => r.type === 'InstanceLost')
          .map((r) => r.data.instanceId);
        return lost.includes('a') && lost.includes('b');
      },
      30_000,
      describe,
    );
    const { submitted, final, records } = await outcomes(c.drive.shared);
    expect([...submitted.keys()].sort()).toEqual([...kinds.keys()].sort());
    for (const [relPath, jobs] of submitted) {
      expect(jobs, relPath).toHaveLength(1);
      expect(
        final.get(jobs[0]!)?.map((r) => r.type),
        relPath,
      ).toEqual(['JobCompleted']);
    }
    const hot = join(c.drive.shared, 'hotfolders', 'press');
    expect(await listFiles(join(hot, 'out'))).toEqual([...kinds.keys()].sort());
    expect(
      records
        .filter((r) => r.type === 'InstanceLost')
        .map((r) => r.data.instanceId)
        .sort(),
    ).toEqual(['a', 'b']);
    // Terms only grow, one election per term.
    const terms = records.filter((r) => r.type === 'CoordinatorElected').map((r) => r.term);
    expect([...terms].sort((x, y) => x - y)).toEqual(terms);
    expect(new Set(terms).size).toBe(terms.length);

    c.proc('c').signal('SIGTERM');
    expect(await c.proc('c').exited).toBe(0);
    process.stdout.write(
      `failover: c elected ${Math.round(failoverMs)} ms after the coordinator's SIGKILL (failureTimeoutMs ${clusterConf['failureTimeoutMs']})\n`,
    );
  });
});
