// Hotfolder races (issue 19 item 2, last fault): two instances on their own caching views of the
// drive (1 s caches, as NFS clients), photos arriving the ways copy tools really deliver them:
// a file written in place in slow chunks (growing), a copy under a temporary name renamed when
// done, the same name dropped again after its first file was processed, and the same file
// dropped twice in a row over itself. Each input must have exactly one outcome: one job per file
// that was in the folder, one final event per job, one output per completed job (the reused name
// gets a counter), nothing left in in/ or work/, no temporary name taken, no growing file taken
// before it was complete (a good photo never fails), and the log verifies.
import { copyFile, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listFiles, smallSamples } from '../fixtures/instance-drive.js';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { FaultCluster } from './harness/fault-cluster.js';
import { readLog } from './harness/log-peek.js';
import { until } from './harness/net-cluster.js';
import type { LogRecord } from '../../src/events/log-record.js';

const refused = bindfsAvailable() ? undefined : 'bindfs is not installed';
if (refused !== undefined) console.log(`hotfolder races test skipped: ${refused}`);

const CHANNEL = 'press';
let cluster: FaultCluster | undefined;
const sleep = async (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async (ctx) => {
  await cluster?.teardown(ctx.task.result?.state === 'fail');
  cluster = undefined;
});

interface Jobs {
  readonly byName: Map<string, string[]>;
  readonly outcomes: Map<string, LogRecord[]>;
  readonly records: LogRecord[];
}

async function jobs(real: string): Promise<Jobs> {
  const { records } = await readLog(real);
  const byName = new Map<string, string[]>();
  const outcomes = new Map<string, LogRecord[]>();
  for (const r of records) {
    if (r.type === 'JobSubmitted')
      byName.set(r.data.relPath, [...(byName.get(r.data.relPath) ?? []), r.data.jobId]);
    if (r.type === 'JobCompleted' || r.type === 'JobFailed')
      outcomes.set(r.data.jobId, [...(outcomes.get(r.data.jobId) ?? []), r]);
  }
  return { byName, outcomes, records };
}

describe.skipIf(refused !== undefined)('hotfolder races on caching views', () => {
  it('growing file, temporary name, reused name, the same file twice: each input exactly one outcome', async () => {
    const c = await FaultCluster.create({ instances: 2, cacheS: 1 });
    cluster = c;
    // Stable for 3 s before a take: above the views' 1 s attribute cache plus the copy's pauses.
    await c.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 3000, priority: 50 });
    for (const id of c.ids) {
      c.start(id);
      await c.whenRunning(id);
    }
    const samples = await smallSamples();
    const inDir = c.inputDir(CHANNEL);
    const outDir = join(c.real, 'hotfolders', CHANNEL, 'out');
    await mkdir(inDir, { recursive: true });

    // 1. Growing: written in place in 6 chunks, 300 ms apart.
    const bytes = await readFile(samples[0]!);
    const fh = await open(join(inDir, 'growing.jpg'), 'wx');
    const chunk = Math.ceil(bytes.length / 6);
    for (let i = 0; i < bytes.length; i += chunk) {
      await fh.write(bytes.subarray(i, i + chunk));
      await fh.sync();
      await sleep(300);
    }
    await fh.close();

    // 2. A copy under a temporary name (as rsync, browsers and Finder do), renamed when done.
    await writeFile(join(inDir, 'renamed.jpg.part'), await readFile(samples[1 % samples.length]!));
    await sleep(1500);
    await rename(join(inDir, 'renamed.jpg.part'), join(inDir, 'renamed.jpg'));

    // 3. The same file dropped twice in a row: the second copy lands over the first (staged, renamed).
    const stage = join(c.real, 'tmp', 'drops');
    for (let i = 0; i < 2; i++) {
      await copyFile(samples[2 % samples.length]!, join(stage, 'twice.jpg'));
      await rename(join(stage, 'twice.jpg'), join(inDir, 'twice.jpg'));
    }

    // 4. A name reused: dropped, processed, then dropped again (another photo, same name).
    await copyFile(samples[3 % samples.length]!, join(stage, 'reused.jpg'));
    await rename(join(stage, 'reused.jpg'), join(inDir, 'reused.jpg'));
    await until(
      'the first reused.jpg is processed',
      async () => {
        const j = await jobs(c.real);
        const id = j.byName.get('reused.jpg')?.[0];
        return id !== undefined && j.outcomes.has(id) ? true : 'not yet';
      },
      120_000,
    );
    await copyFile(samples[4 % samples.length]!, join(stage, 'reused.jpg'));
    await rename(join(stage, 'reused.jpg'), join(inDir, 'reused.jpg'));

    const names = ['growing.jpg', 'renamed.jpg', 'twice.jpg', 'reused.jpg'];
    let j = await jobs(c.real);
    await until(
      'every input has a final outcome',
      async () => {
        j = await jobs(c.real);
        const open = [...j.byName.values()].flat().filter((id) => !j.outcomes.has(id));
        const inLeft = await listFiles(inDir);
        const reused = j.byName.get('reused.jpg')?.length ?? 0;
        return open.length === 0 && inLeft.length === 0 && reused === 2 && names.every((n) => j.byName.has(n))
          ? true
          : `open ${open.length}, in/ ${inLeft.join(',')}, jobs ${JSON.stringify([...j.byName])}`;
      },
      120_000,
    );
    const report = JSON.stringify([...j.byName]);
    // No temporary name was ever a job.
    expect([...j.byName.keys()].sort(), report).toEqual([...names].sort());
    expect(j.byName.get('growing.jpg'), report).toHaveLength(1);
    expect(j.byName.get('renamed.jpg'), report).toHaveLength(1);
    // Dropped twice over itself: one job, or two if the first copy was taken before the second
    // landed (then each is an input of its own).
    const twice = j.byName.get('twice.jpg')!;
    expect(twice.length, report).toBeGreaterThanOrEqual(1);
    expect(twice.length, report).toBeLessThanOrEqual(2);
    expect(j.byName.get('reused.jpg'), report).toHaveLength(2);
    // One final outcome per job, every one a completion (all inputs are good photos: a growing
    // file taken half written would fail as a truncated image).
    const all = [...j.byName.values()].flat();
    for (const id of all) {
      const ends = j.outcomes.get(id) ?? [];
      expect(
        ends.map((e) => e.type),
        `${id} ${report}`,
      ).toEqual(['JobCompleted']);
    }
    // One output per completed job: the reused name gets a counter, nothing else is in out/.
    const outs = await listFiles(outDir);
    expect(outs.length, outs.join(', ')).toBe(all.length);
    expect(outs).toContain('growing.jpg');
    expect(outs).toContain('renamed.jpg');
    expect(outs).toContain('reused.jpg');
    expect(outs.filter((o) => o.startsWith('reused')).length).toBe(2);
    expect(await listFiles(join(c.real, 'work')), 'work/ orphans').toEqual([]);
    expect((await c.verifyLog()).code).toBe(0);
    for (const life of c.lives) expect(life.exit, `${life.id} died`).toBeUndefined();
  });
});
