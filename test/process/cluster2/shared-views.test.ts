// Issue 15 item 7: two instances reach one shared drive through different paths (`darkroom start
// --shared DIR`, here two symlinks; the conf's own `shared` is never created), process jobs
// together, and every path in the log is a drive path: no event names a writer's mount path, nor
// does a job's work folder (publish intent, markers, caught while s2 is paused right after
// publishing) or a result ticket.
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
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
    await putChannel(views[0]!, 'press', { type: 'process', fileReadyDelayMs: 300, resultTickets: true });
    await putChannel(views[0]!, 'export', { type: 'process', fileReadyDelayMs: 300, outputDir: outside });

    // s2 stops itself (SIGSTOP) right after its first publish: its job's work folder then holds
    // the publish intent and the published marker.
    const env = [{}, { DARKROOM_PAUSE_AT: 'after-publish' }];
    for (const [i, id] of ['s1', 's2'].entries()) {
      const r = startInstance(d.conf, id, env[i], ['--shared', views[i]!]);
      running.push(r);
      await waitFor(`${id} running`, () => r.output().includes(': running ('), 120_000, r.output);
    }
    const press = await dropSamples(join(disk, 'hotfolders', 'press', 'in'), 12);
    const exported = await dropSamples(join(disk, 'hotfolders', 'export', 'in'), 2, { prefix: 'ex' });
    const total = press.size + exported.size;
    const describeLog = async () => {
      const { records } = await outcomes(disk);
      return `${records.map((r) => `${r.seq} ${r.by} ${r.type}`).join('\n')}\n${running.map((r) => r.output()).join('\n')}`;
    };
    const s2 = running[1]!;
    await waitFor(
      's2 paused after its first publish',
      async () => (await readFile(`/proc/${s2.child.pid}/stat`, 'utf8')).split(') ')[1]?.startsWith('T'),
      90_000,
      describeLog,
    );
    // Read while s2 is paused (its job's folder stays as it is); s1's jobs go on meanwhile, so a
    // folder or marker of one of them may vanish between listing and reading: skipped.
    const gone = (): undefined => undefined;
    const markers = new Map<string, string>();
    for (const job of await readdir(join(disk, 'work'))) {
      for (const name of (await readdir(join(disk, 'work', job)).catch(gone)) ?? []) {
        if (!name.startsWith('.darkroom-')) continue;
        const text = await readFile(join(disk, 'work', job, name), 'utf8').catch(gone);
        if (text !== undefined) markers.set(join(job, name), text);
      }
    }
    s2.signal('SIGCONT');
    expect([...markers.keys()].some((m) => m.endsWith('.darkroom-publish.intent'))).toBe(true);
    for (const [m, text] of markers) {
      for (const p of [...views, disk]) expect(text, m).not.toContain(p);
      // The output folder by its drive path; the export channel's folder outside the drive by its own.
      if (m.endsWith('.darkroom-publish.intent'))
        expect(['hotfolders/press/out\n', `${outside}\n`]).toContain(text);
    }
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
    const out = join(disk, 'hotfolders', 'press', 'out');
    const tickets = [...press.keys()].map((n) => `${n.replace(/\.[^.]+$/, '')}.result.xml`);
    expect(await listFiles(out)).toEqual([...press.keys(), ...tickets].sort());
    // Result tickets name the output and the original by drive paths too.
    for (const [name] of press) {
      const xml = await readFile(join(out, `${name.replace(/\.[^.]+$/, '')}.result.xml`), 'utf8');
      for (const p of [...views, disk]) expect(xml, name).not.toContain(p);
      expect(xml).toContain(`<output>hotfolders/press/out/${name}</output>`);
      expect(xml).toContain(`path="hotfolders/press/originals/${name}"`);
    }
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
