// Issue 15 item 7: two instances reach one shared drive through different paths (`darkroom start
// --shared DIR`, here two symlinks; the conf's own `shared` is never created), process jobs
// together, and every path in the log is a drive path: no event names a writer's mount path.
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initLog } from '../../../src/events/log-init.js';
import {
  cli,
  dropSamples,
  listFiles,
  makeDrive,
  outcomes,
  putChannel,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';
import { serverEntries } from './ports.js';

let drive: Drive | undefined;
const running: RunningInstance[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
    await r.exited;
  }
  await drive?.cleanup();
  drive = undefined;
});

describe('darkroom start --shared: two instances, two paths to one drive', () => {
  it('both process jobs, each file exactly once, and the log names files by drive paths only', async () => {
    const d = (drive = await makeDrive(await serverEntries(2)));
    const disk = join(d.root, 'disk');
    const views = [join(d.root, 'mnt-s1'), join(d.root, 'mnt-s2')];
    await rm(d.shared, { recursive: true, force: true });
    await mkdir(disk);
    await initLog(disk);
    for (const v of views) await symlink(disk, v);
    const outside = join(d.root, 'outside-out');
    await putChannel(views[0]!, 'press', { type: 'process', fileReadyDelayMs: 300 });
    await putChannel(views[0]!, 'export', { type: 'process', fileReadyDelayMs: 300, outputDir: outside });

    for (const [i, id] of ['s1', 's2'].entries()) {
      const r = startInstance(d.conf, id, {}, ['--shared', views[i]!]);
      running.push(r);
      await waitFor(`${id} running`, () => r.output().includes(': running ('), 60_000, r.output);
    }
    const press = await dropSamples(join(disk, 'hotfolders', 'press', 'in'), 12);
    const exported = await dropSamples(join(disk, 'hotfolders', 'export', 'in'), 2, { prefix: 'ex' });
    const total = press.size + exported.size;
    const describeLog = async () => {
      const { records } = await outcomes(disk);
      return `${records.map((r) => `${r.seq} ${r.by} ${r.type}`).join('\n')}\n${running.map((r) => r.output()).join('\n')}`;
    };
    await waitFor(
      `${total} outcomes`,
      async () => (await outcomes(disk)).final.size === total,
      90_000,
      describeLog,
    );

    const { submitted, final, records } = await outcomes(disk);
    expect(submitted.size).toBe(total);
    for (const [relPath, jobs] of submitted) expect(jobs, relPath).toHaveLength(1);
    for (const [jobId, recs] of final) {
      expect(recs, jobId).toHaveLength(1);
      expect(recs[0]!.type, jobId).toBe('JobCompleted');
    }
    const workers = new Set(records.filter((r) => r.type === 'JobStarted').map((r) => r.by));
    expect([...workers].sort()).toEqual(['s1', 's2']);

    // No event holds a path through either mount (or the real folder), only drive paths;
    // the channel folder outside the drive is named by its own absolute path.
    for (const r of records) {
      const text = JSON.stringify(r.data);
      for (const p of [...views, disk]) expect(text, `${r.seq} ${r.type}`).not.toContain(p);
    }
    for (const r of records) {
      if (r.type === 'JobSubmitted') {
        expect(r.data.source).toBe(`hotfolders/${r.data.channel}/in/${r.data.relPath}`);
      }
      if (r.type === 'JobCompleted') {
        const sub = records.find((s) => s.type === 'JobSubmitted' && s.data.jobId === r.data.jobId);
        if (sub?.type !== 'JobSubmitted') throw new Error(`no JobSubmitted for ${r.data.jobId}`);
        const name = sub.data.relPath;
        expect(r.data.outputs).toEqual([
          sub.data.channel === 'export' ? join(outside, name) : `hotfolders/press/out/${name}`,
        ]);
        expect(r.data.original).toBe(`hotfolders/${sub.data.channel}/originals/${name}`);
      }
    }
    expect(await listFiles(join(disk, 'hotfolders', 'press', 'out'))).toEqual([...press.keys()].sort());
    expect(await listFiles(outside)).toEqual([...exported.keys()].sort());
    expect(await listFiles(join(disk, 'hotfolders', 'press', 'in'))).toEqual([]);

    for (const r of running) r.signal('SIGTERM');
    for (const r of running) expect(await r.exited).toBe(0);
  });

  it('refuses a --shared folder that does not exist (a typo must not start an empty cluster)', async () => {
    const d = (drive = await makeDrive(await serverEntries(1)));
    const missing = join(d.root, 'no-such-mount');
    const r = await cli(['start', '--conf', d.conf, '--id', 's1', '--shared', missing]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('E_FOLDER_UNREACHABLE');
    expect(r.err).toContain(missing);
  });
});
