// Three `darkroom start` processes share one drive (each through its own view of it): 300 photos
// dropped into a hotfolder are worked on by all three, each photo ends exactly once, and every
// instance's projections equal a fresh replay of the log at the seq where it stopped.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { darkroomProjector } from '../../../src/projections/projector.js';
import { stateDigest } from '../../../src/projections/state-digest.js';
import type { LogRecord } from '../../../src/events/log-record.js';
import { dropSamples, listFiles, outcomes, putChannel, waitFor } from '../../fixtures/instance-drive.js';
import { makeCluster, running, workers, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

/** The digest of a fresh replay of `records` up to `seq`. */
function replayDigest(records: readonly LogRecord[], seq: number): string {
  let s = darkroomProjector.initial();
  for (const r of records) if (r.seq <= seq) s = darkroomProjector.apply(s, r);
  return stateDigest(s);
}

describe('three instances, one drive', () => {
  it('300 photos: work on all three, each photo exactly once; projections equal a fresh replay at the same seq', async () => {
    const c = (cluster = await makeCluster(['a', 'b', 'c']));
    await putChannel(c.drive.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    for (const id of c.ids) await running(c.start(id), `${id} running`);
    const kinds = await dropSamples(join(c.drive.shared, 'hotfolders', 'press', 'in'), 300);
    await waitFor(
      '300 outcomes',
      async () => (await outcomes(c.drive.shared)).final.size >= 300,
      150_000,
      async () =>
        `${c.proc('a').output().slice(-2000)}\nfinal: ${(await outcomes(c.drive.shared)).final.size}`,
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
    expect(await listFiles(join(hot, 'in'))).toEqual([]);
    const by = workers(records);
    expect([...by.keys()].sort(), JSON.stringify([...by])).toEqual(['a', 'b', 'c']);
    // One coordinator for the whole run.
    // One coordinator per term (the log fences every other); a coordinator whose drive lags past half
    // the failure timeout steps down and is elected again, which is safe and only counted here.
    const terms = records.filter((r) => r.type === 'CoordinatorElected').map((r) => r.term);
    expect(new Set(terms).size).toBe(terms.length);

    for (const id of c.ids) c.proc(id).signal('SIGTERM');
    for (const id of c.ids) expect(await c.proc(id).exited, c.proc(id).output().slice(-2000)).toBe(0);
    const all = await c.records();
    for (const id of c.ids) {
      const line = c
        .proc(id)
        .output()
        .split('\n')
        .find((l) => l.includes('"instance stopped"'));
      const { seq, digest } = JSON.parse(line!) as { seq: number; digest: string };
      expect(digest, `${id} at seq ${seq}`).toBe(replayDigest(all, seq));
    }
    process.stdout.write(
      `three instances: jobs completed per instance ${JSON.stringify([...by])}, ${terms.length} election(s)\n`,
    );
  });
});
