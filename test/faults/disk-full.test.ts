// Disk full during a batch (issue 19 item 2): two instances on their own caching views of a drive
// that is a small tmpfs the test mounts; photos are being dropped and processed when a filler file
// takes every free byte. Appends must fail with a named error (E_DRIVE_FULL), nothing
// acknowledged may be lost, no half-written batch may be left that a later reader calls damage,
// the instances stay alive and, once the filler is removed, go on by themselves: every photo
// dropped ends in exactly one place (out/, or bad/ with its report), and every checker holds.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smallSamples } from '../fixtures/instance-drive.js';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { checkRun } from './harness/checkers.js';
import { FaultCluster } from './harness/fault-cluster.js';
import { until } from './harness/net-cluster.js';
import { SmallDrive, tmpfsRefused } from './harness/small-drive.js';
import { readLog } from './harness/log-peek.js';

const refused = bindfsAvailable() ? tmpfsRefused() : 'bindfs is not installed';
if (refused !== undefined) console.log(`disk-full test skipped: ${refused}`);

const CHANNEL = 'press';
let cluster: FaultCluster | undefined;
let drive: SmallDrive | undefined;

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  try {
    await cluster?.teardown(true);
    // The drive goes with its tmpfs: keep a copy for the post-mortem.
    if (failed && cluster !== undefined)
      spawnSync('cp', ['-a', cluster.real, join(cluster.root, 'drive-at-failure')]);
  } finally {
    drive?.unmount();
    if (cluster !== undefined && !failed && process.env['DARKROOM_KEEP_TMP'] === undefined)
      await rm(cluster.root, { recursive: true, force: true });
    if (failed && cluster !== undefined)
      console.log(`disk-full: kept ${cluster.root} (its drive copied to drive-at-failure/)`);
    cluster = undefined;
    drive = undefined;
  }
});

/** Named warnings and errors the instances logged with `code` (pino JSON lines). */
function codesIn(output: string, code: string): number {
  return output.split('\n').filter((l) => l.includes(`"code":"${code}"`)).length;
}

describe.skipIf(refused !== undefined)('disk full during a batch', () => {
  it('appends fail with a named error, nothing acknowledged is lost, the instances recover by themselves when space is freed', async () => {
    const lines: string[] = [];
    const c = await FaultCluster.create({
      instances: 2,
      cacheS: 1,
      log: (l) => lines.push(l),
      prepareDrive: async (real) => {
        drive = SmallDrive.mount(real, 48);
      },
    });
    cluster = c;
    const d = drive!;
    await c.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
    for (const id of c.ids) {
      c.start(id);
      await c.whenRunning(id);
    }
    const inDir = c.inputDir(CHANNEL);
    await mkdir(inDir, { recursive: true });
    // Load before the fault: processed as usual.
    for (let i = 0; i < 6; i++) await c.drop(CHANNEL, i === 3 ? 'bad' : 'good');
    const settled = await c.quiesce(120_000);
    expect(settled, 'the first drops are processed').toBeUndefined();
    // Photos copied to the drive before it filled up, moved into the hotfolder while it is full
    // (a rename needs no space): they must not be lost.
    const samples = await smallSamples();
    const staged: string[] = [];
    for (let i = 0; i < 6; i++) {
      const name = `full${i}.jpg`;
      await copyFile(samples[i % samples.length]!, join(c.real, 'tmp', 'drops', name));
      staged.push(name);
    }
    const before = (await readLog(c.real)).records.length;
    const filled = await d.fill();
    lines.push(`drive full (filler ${filled} bytes, ${await d.freeBytes()} free)`);
    for (const name of staged) {
      const op = c.history.invoke('drop', { channel: CHANNEL, name, kind: 'good' });
      await rename(join(c.real, 'tmp', 'drops', name), join(inDir, name));
      c.history.ok(op);
    }
    // A photographer's copy onto the full drive fails (recorded as such, not expected anywhere).
    await c.drop(CHANNEL, 'good');
    // An administrator's edit while full: its batch cannot be written, and says why.
    await c.edit(CHANNEL, 7, 30_000);
    const edit = c.history.ops.filter((o) => o.kind === 'edit').at(-1)!;
    expect(edit.result, JSON.stringify(edit)).toBe('fail');
    // The CLI's last line is the catalogue's fix for E_DRIVE_FULL.
    expect(JSON.stringify(edit)).toMatch(/Free space on the file server/);
    // Every instance tries to write while full (alive file, lease, takes, batches) and names it.
    await until(
      'the instances name the full drive',
      async () => {
        const named = c.ids.map((id) => codesIn(c.proc(id)?.output ?? '', 'E_DRIVE_FULL'));
        return named.every((n) => n > 0) ? true : `named so far: ${named.join(', ')}`;
      },
      90_000,
    );
    const whileFull = (await readLog(c.real)).records.length;
    lines.push(`records before ${before}, while full ${whileFull}`);
    await d.free();
    lines.push('drive freed');
    // Recovery is by themselves: no restart, no heal of processes (nothing was killed or paused).
    const unquiet = await c.quiesce(180_000);
    await c.edit(CHANNEL, 9);
    const report = await checkRun({
      cluster: c,
      faults: [{ kind: 'disk-full', target: 'all', at: 0, affects: c.ids.length }],
      channel: CHANNEL,
      unquiet: unquiet ?? (await c.quiesce(60_000)),
      slots: Number(c.conf['slots']),
    });
    const detail = report.violations.map((v) => `${v.invariant}: ${v.detail}`).join('\n');
    expect(report.violations, `${detail}\n${lines.join('\n')}`).toEqual([]);
    for (const life of c.lives) expect(life.exit, `${life.id} died`).toBeUndefined();
    // The staged photos each got a job and an output.
    const { records } = await readLog(c.real);
    const submitted = new Set(records.flatMap((r) => (r.type === 'JobSubmitted' ? [r.data.relPath] : [])));
    for (const name of staged) expect(submitted.has(name), name).toBe(true);
  }, 480_000);
});
