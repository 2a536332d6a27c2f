// `darkroom doctor --conf FILE` between servers (issue 19 item 6): two running instances, each on
// its own bindfs view of the drive (2 s entry/attribute/negative caches, as an NFS client), the
// second with its wall clock 30 s ahead (libfaketime); doctor runs through a third view, as a
// third server. It must measure how late a new file shows on each peer (their mounts cache "no
// such file" for 2 s: a warning naming the NFS and SMB mount options), warn about s2's clock and
// not s1's, find both confs identical and both cluster ports answering, and see the mesh whole.
import { appendFile, copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../fixtures/instance-drive.js';
import { bindfsAvailable, BindfsView } from './harness/bindfs-view.js';
import { ClockJump, libfaketimePath } from './harness/clock-jump.js';
import { FaultCluster } from './harness/fault-cluster.js';
import { until } from './harness/net-cluster.js';

const lib = libfaketimePath();
const refused = !bindfsAvailable()
  ? 'bindfs is not installed'
  : lib === undefined
    ? 'libfaketime is not installed (apt-get install libfaketime)'
    : undefined;
if (refused !== undefined) console.log(`doctor between servers test skipped: ${refused}`);

interface Check {
  name: string;
  status: string;
  detail: string;
  figures?: Record<string, number>;
}

let cluster: FaultCluster | undefined;
let view: BindfsView | undefined;

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  await view?.unmount();
  view = undefined;
  await cluster?.teardown(failed);
  cluster = undefined;
});

describe.skipIf(refused !== undefined)('darkroom doctor --conf between servers', () => {
  it('measures visibility on each peer, warns about a clock 30 s off, finds confs and ports right', async () => {
    const c = await FaultCluster.create({ instances: 2, cacheS: 2 });
    cluster = c;
    const jump = new ClockJump(lib!, join(c.root, 'faketime.s2'));
    c.start('s1');
    await c.whenRunning('s1');
    c.start('s2', await jump.env());
    await c.whenRunning('s2');
    await jump.set(30);
    view = new BindfsView(c.real, join(c.root, 'views', 'doctor'), { cacheS: 2 });
    await view.mount();
    const doctor = async (): Promise<{ code: number; checks: Check[]; raw: string }> => {
      const r = await cli([
        'doctor',
        '--conf',
        c.confFile,
        '--shared',
        view!.mountPoint,
        '--rounds',
        '5',
        '--json',
      ]);
      try {
        return {
          code: r.code,
          checks: (JSON.parse(r.out) as { checks: Check[] }).checks,
          raw: r.out + r.err,
        };
      } catch {
        return { code: r.code, checks: [], raw: r.out + r.err };
      }
    };
    // Both instances connected to each other first (the mesh check reads their alive files).
    let result = await doctor();
    await until(
      'doctor sees the mesh whole and s2 30 s ahead',
      async () => {
        const byName = new Map(result.checks.map((k) => [k.name, k]));
        if (byName.get('mesh')?.status === 'ok' && byName.get('clock of s2')?.status === 'warn') return true;
        result = await doctor();
        return result.raw.slice(-1500);
      },
      90_000,
    );
    const byName = new Map(result.checks.map((k) => [k.name, k]));
    const report = result.raw;
    for (const s of ['s1', 's2']) {
      expect(byName.get(`port of ${s}`)?.status, report).toBe('ok');
      expect(byName.get(`conf of ${s}`)?.status, report).toBe('ok');
      const vis = byName.get(`visible on ${s}`)!;
      expect(vis, report).toBeDefined();
      // The peer looked for the name first: its mount caches the miss for about 2 s.
      expect(vis.figures!['visibleMs']!, report).toBeGreaterThan(1000);
      expect(vis.figures!['visibleMs']!, report).toBeLessThan(30_000);
      expect(vis.status).toBe('warn');
      expect(vis.detail).toMatch(/lookupcache=positive/);
      expect(vis.detail).toMatch(/SMB/);
    }
    const s1Clock = byName.get('clock of s1')!;
    expect(s1Clock.status, report).toBe('ok');
    expect(Math.abs(s1Clock.figures!['offsetMs']!)).toBeLessThan(1000);
    const s2Clock = byName.get('clock of s2')!;
    expect(s2Clock.figures!['offsetMs']!, report).toBeGreaterThan(29_000);
    expect(s2Clock.figures!['offsetMs']!, report).toBeLessThan(31_000);
    expect(s2Clock.detail).toMatch(/NTP/);
    // A clock warning is only a warning: no check failed.
    expect(result.code, report).toBe(0);
    // The probe files are gone again.
    expect(await readdir(join(c.real, 'cluster', 'doctor'))).toEqual([]);
  });

  it('a peer started with another conf is a failed check naming the fix', async () => {
    // (Same cluster set-up, but s2 gets a conf with one more key: its hash differs.)
    const c = await FaultCluster.create({ instances: 2, cacheS: 1 });
    cluster = c;
    c.start('s1');
    await c.whenRunning('s1');
    const other = join(c.root, 'other.conf');
    await copyFile(c.confFile, other);
    await appendFile(other, '# edited on s2 only\n');
    const r0 = await cli(['doctor', '--conf', other, '--rounds', '3', '--json']);
    const checks = (JSON.parse(r0.out) as { checks: Check[] }).checks;
    const conf = checks.find((k) => k.name === 'conf of s1')!;
    expect(conf.status, r0.out).toBe('fail');
    expect(conf.detail).toMatch(/copy the same ClaroServers\.conf to every server and restart s1/);
    expect(checks.find((k) => k.name === 'port of s2')?.status).toBe('skipped');
    expect(r0.code).toBe(1);
  });
});
