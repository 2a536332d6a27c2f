// darkroom doctor through a real second mount of the shared folder: a bindfs view with a 3 s
// kernel cache stands for another server's NFS client. The doctor (the CLI, in-process)
// must pass the exclusivity checks across the two mounts and report the late visibility as a
// warning. Needs bindfs and FUSE (.ci/run installs bindfs); where FUSE cannot mount, the test
// prints why and is skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { darkroom } from '../channels/cli-harness.js';

function fuseWorks(): string | undefined {
  if (spawnSync('bindfs', ['--version']).status !== 0) return 'bindfs is not installed';
  const probe = mkdtempSync(join(tmpdir(), 'darkroom-fuse-probe-'));
  mkdirSync(join(probe, 'src'));
  mkdirSync(join(probe, 'mnt'));
  const r = spawnSync('bindfs', [join(probe, 'src'), join(probe, 'mnt')], { encoding: 'utf8' });
  if (r.status !== 0) return `bindfs cannot mount here: ${r.stderr.trim()}`;
  spawnSync('fusermount', ['-u', join(probe, 'mnt')]);
  return undefined;
}

const unavailable = fuseWorks();
if (unavailable !== undefined) console.log(`doctor-bindfs: skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('darkroom doctor through a bindfs view', () => {
  const root = mkdtempSync(join(tmpdir(), 'darkroom-doctor-bindfs-'));
  const src = join(root, 'shared');
  const mnt = join(root, 'view');
  mkdirSync(join(src, 'log'), { recursive: true });
  mkdirSync(mnt);
  let fuse: ChildProcess | undefined;

  afterAll(() => {
    spawnSync('fusermount', ['-u', mnt]);
    fuse?.kill();
  });

  it('passes exclusivity across the mounts and warns about the 3 s cache', async () => {
    fuse = spawn('bindfs', ['-f', '-o', 'entry_timeout=3,attr_timeout=3,negative_timeout=3', src, mnt], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100 && spawnSync('mountpoint', ['-q', mnt]).status !== 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(spawnSync('mountpoint', ['-q', mnt]).status).toBe(0);

    const r = await darkroom(['doctor', '--shared', src, '--view', mnt, '--rounds', '20', '--json']);
    const out = JSON.parse(r.out) as {
      checks: { name: string; status: string; detail: string; figures?: Record<string, number> }[];
    };
    const c = Object.fromEntries(out.checks.map((x) => [x.name, x]));
    for (const name of [
      'exclusive-create',
      'exclusive-mkdir',
      'exclusive-link',
      'atomic-rename',
      'append-lock',
    ])
      expect(c[name]?.status, `${name}: ${c[name]?.detail}`).toBe('ok');
    expect(c['exclusive-create']?.detail).toMatch(/one through the view/);
    // The view remembered the name as absent: it appears there only when its cache expires.
    expect(c['visibility']?.status).toBe('warn');
    expect(c['visibility']?.figures?.['newByNameMs']).toBeGreaterThan(1000);
    expect(r.code).toBe(0);
  });
});
