// Three instances and 300 photos with real processes, each through its own view of the drive:
// work lands on all three, every photo ends exactly once, and every instance's projection equals a
// fresh replay of the log at the same seq (the digest each instance logs when it stops).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/events/log-record.js';
import { applyRecords, initialState } from '../../../src/projections/projector.js';
import { stateDigest } from '../../../src/projections/state-digest.js';
import { dropSamples, listFiles, outcomes, putChannel, waitFor } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, workers, type Cluster } from './cluster-harness.js';

const photos = 300;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

/** The `{seq, digest}` an instance logged when it stopped. */
function stoppedDigest(output: string): { seq: number; digest: string } | undefined {
  for (const line of output.split('\n').reverse()) {
    if (!line.includes('"msg":"instance stopped"')) continue;
    const o = JSON.parse(line) as { seq?: number; digest?: string };
    if (o.seq !== undefined && o.digest !== undefined) return { seq: o.seq, digest: o.digest };
  }
  return undefined;
}

function digestAt(records: readonly LogRecord[], seq: number): string {
  return stateDigest(
    applyRecords(
      initialState(),
      records.filter((r) => r.seq <= seq),
    ),
  );
}

describe('three instances, 300 photos', () => {
  it('work on all three, each photo exactly once, projections equal a fresh replay at the same seq', async () => {
    const t0 = performance.now();
    // A 300-file input folder listed through a cached view on a loaded machine may take seconds:
    // rescans every 5 s (stall after 15 s) instead of flapping the channel to standby.
    const c = (cluster = await makeCluster(['a', 'b', 'c'], { ...clusterConf, hotfolderRescanMs: '5000' }));
    await putChannel(c.drive.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    for (const id of c.ids) await running(c.start(id), `${id} running`);
    const t1 = performance.now();
    const kinds = await dropSamples(join(c.drive.shared, 'hotfolders', 'press', 'in'), photos);
    const t2 = performance.now();
    const out = join(c.drive.shared, 'hotfolders', 'press', 'out');
    await waitFor(
      `${photos} outcomes`,
      async () =>
        (await listFiles(out)).length >= photos && (await outcomes(c.drive.shared)).final.size >= photos,
      240_000,
      async () =>
        `${(await outcomes(c.drive.shared)).final.size} outcomes\n${c.proc('a').output().slice(-3000)}`,
    );
    const t3 = performance.now();
    for (const id of c.ids) c.proc(id).signal('SIGTERM');
    for (const id of c.ids) expect(await c.proc(id).exited, c.proc(id).output().slice(-2000)).toBe(0);

    const { submitted, final, records } = await outcomes(c.drive.shared);
    expect([...submitted.keys()].sort()).toEqual([...kinds.keys()].sort());
    for (const [relPath, jobs] of submitted) {
      expect(jobs, relPath).toHaveLength(1);
      expect(
        final.get(jobs[0]!)?.map((r) => r.type),
        relPath,
      ).toEqual(['JobCompleted']);
    }
    expect(await listFiles(join(c.drive.shared, 'hotfolders', 'press', 'out'))).toEqual(
      [...kinds.keys()].sort(),
    );
    const byWorker = workers(records);
    expect([...byWorker.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const id of c.ids) {
      const at = stoppedDigest(c.proc(id).output());
      expect(at, `${id} logged its digest`).toBeDefined();
      expect(at!.digest, `${id} at seq ${at!.seq}`).toBe(digestAt(records, at!.seq));
    }
    process.stdout.write(
      `batch: start ${Math.round(t1 - t0)} ms, drop ${Math.round(t2 - t1)} ms, ${photos} jobs ${Math.round(t3 - t2)} ms; by worker ${JSON.stringify(Object.fromEntries(byWorker))}; ${records.length} records\n`,
    );
  }, 300_000);
});
