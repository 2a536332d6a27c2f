// darkroom doctor's drive checks: all pass on a real local folder (with a second path to it as the
// view), and each check fails, naming what is wrong, on a drive that breaks its promise.
import * as nodeFs from 'node:fs/promises';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDrive, driveCheckNames, type DriveCheck, type DriveFs } from '../../src/events/drive-doctor.js';
import { initLog } from '../../src/events/log-init.js';
import { main } from '../../src/cli/main.js';

const temp = (): Promise<string> => mkdtemp(join(tmpdir(), 'darkroom-doctor-'));
const byName = (checks: DriveCheck[]): Record<string, DriveCheck> =>
  Object.fromEntries(checks.map((c) => [c.name, c]));
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('darkroom doctor: drive checks', () => {
  it('a local folder passes every check; without a view, visibility is skipped', async () => {
    const shared = await temp();
    const checks = await checkDrive({ sharedDir: shared, rounds: 10 });
    expect(checks.map((c) => c.name)).toEqual(['writable', ...driveCheckNames]);
    const c = byName(checks);
    for (const name of ['writable', ...driveCheckNames.filter((n) => n !== 'visibility')])
      expect(c[name]?.status, `${name}: ${c[name]?.detail}`).toBe('ok');
    expect(c['visibility']?.status).toBe('skipped');
    expect(c['durable-write']?.figures?.['durableBatchMs']).toBeGreaterThan(0);
    // The scratch folder is gone afterwards.
    expect(await nodeFs.readdir(shared)).toEqual([]);
  });

  it('measures visibility through a second path to the same folder', async () => {
    const shared = await temp();
    const view = join(await temp(), 'view');
    await symlink(shared, view);
    const c = byName(await checkDrive({ sharedDir: shared, viewDir: view, rounds: 5 }));
    expect(c['visibility']?.status).toBe('ok');
    expect(Object.keys(c['visibility']?.figures ?? {}).sort()).toEqual([
      'changedMs',
      'newByNameMs',
      'newInListingMs',
      'removedMs',
    ]);
    expect(c['exclusive-create']?.detail).toMatch(/one through the view/);
  });

  it('fails exclusive create and mkdir on a drive that does not exclude', async () => {
    const shared = await temp();
    const fs: DriveFs = {
      ...nodeFs,
      open: ((path: string, flags?: string) =>
        nodeFs.open(path, flags === 'wx' ? 'w' : flags)) as DriveFs['open'],
      mkdir: ((path: string, opts?: object) =>
        nodeFs.mkdir(path, { ...opts, recursive: true })) as DriveFs['mkdir'],
    };
    const c = byName(await checkDrive({ sharedDir: shared, rounds: 5, fs }));
    expect(c['exclusive-create']).toMatchObject({ status: 'fail' });
    expect(c['exclusive-create']?.detail).toMatch(/gave success, not EEXIST/);
    expect(c['exclusive-mkdir']?.detail).toMatch(/5 of 5 racing mkdirs of one name both succeeded/);
    expect(c['exclusive-link']?.status).toBe('ok');
  });

  it('fails link where hard links are not supported, and a rename that is a copy', async () => {
    const shared = await temp();
    const fs: DriveFs = {
      ...nodeFs,
      link: () => Promise.reject(errno('ENOTSUP')),
      // A "rename" that writes the target in two halves: readers can see a mix.
      rename: (async (from: string, to: string) => {
        const data = await nodeFs.readFile(from);
        const fh = await nodeFs.open(to, 'r+');
        await fh.write(data, 0, data.length / 2, 0);
        await new Promise((r) => setTimeout(r, 2));
        await fh.write(data, data.length / 2, data.length / 2, data.length / 2);
        await fh.close();
        await nodeFs.rm(from);
      }) as DriveFs['rename'],
    };
    const c = byName(await checkDrive({ sharedDir: shared, rounds: 30, fs }));
    expect(c['exclusive-link']?.status).toBe('fail');
    expect(c['exclusive-link']?.detail).toMatch(/hard links are not supported here \(ENOTSUP\)/);
    expect(c['atomic-rename']?.status).toBe('fail');
    expect(c['atomic-rename']?.detail).toMatch(/reads during renames saw a mixed or partial file/);
  });

  it('warns when the view shows new files later than half the lock stale time', async () => {
    const shared = await temp();
    const view = join(await temp(), 'view');
    await symlink(shared, view);
    // The view answers "absent" for a name until 300 ms after it was first asked for (a cache).
    const firstAsked = new Map<string, number>();
    const fs: DriveFs = {
      ...nodeFs,
      stat: (async (path: string) => {
        if (path.startsWith(view) && path.includes('visible-')) {
          const t = firstAsked.get(path) ?? Date.now();
          firstAsked.set(path, t);
          if (Date.now() - t < 300) throw errno('ENOENT');
        }
        return nodeFs.stat(path);
      }) as DriveFs['stat'],
    };
    const c = byName(await checkDrive({ sharedDir: shared, viewDir: view, rounds: 3, staleMs: 400, fs }));
    expect(c['visibility']?.status).toBe('warn');
    expect(c['visibility']?.figures?.['newByNameMs']).toBeGreaterThanOrEqual(250);
    expect(c['visibility']?.detail).toMatch(/slower than half of lockStaleMs \(400 ms\)/);
  });

  it('a drive that stops answering fails with "no answer" and the run ends', async () => {
    const shared = await temp();
    const fs: DriveFs = { ...nodeFs, open: () => new Promise(() => undefined) };
    const checks = await checkDrive({ sharedDir: shared, fs, checkTimeoutMs: 200 });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['writable', 'ok'],
      ['exclusive-create', 'fail'],
    ]);
    expect(checks[1]?.detail).toMatch(/no answer within 200 ms/);
  });

  it('darkroom doctor prints each check; refuses a drive without a log; a check that fails is named', async () => {
    const shared = await temp();
    const out: string[] = [];
    const run = (dir: string, sink: string[], ...more: string[]): Promise<number> =>
      main(['node', 'darkroom', 'doctor', '--shared', dir, '--rounds', '5', ...more], {
        out: (t) => sink.push(t),
        err: (t) => sink.push(t),
      });
    // No log on it: an unmounted share would test the local disk under the mount point.
    expect(await run(shared, out)).toBe(74);
    expect(out.join('\n')).toContain('E_LOG_UNREACHABLE');
    expect(out.join('\n')).toContain(`is the share mounted at ${shared}?`);
    await initLog(shared);
    out.length = 0;
    expect(await run(shared, out)).toBe(0);
    expect(out.join('\n')).toMatch(/^ok {4}exclusive-link {4}link works/m);
    expect(out.join('\n')).toMatch(/^skip {2}visibility/m);
    const notADir = join(shared, 'file');
    await writeFile(notADir, 'x');
    const checks = await checkDrive({ sharedDir: notADir, rounds: 5 });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'writable', status: 'fail' });
    expect(checks[0]?.detail).toMatch(/cannot create .*file\/doctor.*mounted read-write/);
  });
});
