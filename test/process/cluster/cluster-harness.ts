// A cluster of real `darkroom start` processes on loopback for the cluster tests: one temp drive,
// a conf listing every instance on free ports, and each instance seeing the drive through its OWN
// path — a bindfs view with a 1 s kernel cache (another server's NFS client) where FUSE works, a
// symlink otherwise — passed as `darkroom start --shared VIEW`. Tears down processes and mounts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts } from '../../support/free-ports.js';
import {
  allRecords,
  fastConf,
  makeDrive,
  repoRoot,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';
import type { LogRecord } from '../../../src/events/log-record.js';

const bin = join(repoRoot, 'bin/darkroom.js');

/** Why bindfs views cannot be used here, or undefined when they can. */
function bindfsProblem(): string | undefined {
  if (spawnSync('bindfs', ['--version']).status !== 0) return 'bindfs is not installed';
  if (spawnSync('sh', ['-c', 'test -c /dev/fuse']).status !== 0) return '/dev/fuse is missing';
  return undefined;
}

export const viewProblem = bindfsProblem();
if (viewProblem !== undefined)
  console.log(`cluster tests: symlinked views instead of bindfs: ${viewProblem}`);

export interface Cluster {
  readonly drive: Drive;
  readonly ids: readonly string[];
  /** The cluster port of each instance. */
  readonly ports: ReadonlyMap<string, number>;
  /** Where each instance sees the drive. */
  readonly views: ReadonlyMap<string, string>;
  start(id: string, env?: NodeJS.ProcessEnv): RunningInstance;
  /** The running (or last started) process of `id`. */
  proc(id: string): RunningInstance;
  records(): Promise<LogRecord[]>;
  /**
   * Stalls (SIGSTOP) or resumes (SIGCONT) the bindfs process behind `id`'s view: every drive call
   * of that instance hangs until resumed, as on a hung NFS mount. False where views are symlinks.
   */
  stallView(id: string, stalled: boolean): boolean;
  /** The current coordinator by the log, with its term. */
  coordinator(): Promise<{ instanceId: string; term: number } | undefined>;
  cleanup(): Promise<void>;
}

/**
 * Short timings: heartbeats every 250 ms, lost after 4 s (well above the 1 s view cache, and
 * above the drive latency this shared 2-core machine shows under load).
 */
export const clusterConf: Readonly<Record<string, string>> = {
  ...fastConf,
  heartbeatMs: '250',
  failureTimeoutMs: '4000',
  slots: '2',
};

export async function makeCluster(
  ids: readonly string[],
  set: Readonly<Record<string, string>> = clusterConf,
  options: { host?: string; ports?: readonly number[] } = {},
): Promise<Cluster> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? (await freePorts(ids.length * 2));
  const servers = ids.map((id, i) => `${id}@${host}:${ports[2 * i]}:${ports[2 * i + 1]}`);
  const drive = await makeDrive(servers, set);
  await mkdir(drive.shared, { recursive: true });
  const views = new Map<string, string>();
  const mounts: { id: string; dir: string; proc: ChildProcess }[] = [];
  for (const id of ids) {
    const view = join(drive.root, `view-${id}`);
    if (viewProblem === undefined) {
      await mkdir(view);
      const proc = spawn(
        'bindfs',
        ['-f', '-o', 'entry_timeout=1,attr_timeout=1,negative_timeout=1', drive.shared, view],
        { stdio: 'ignore' },
      );
      mounts.push({ id, dir: view, proc });
      await waitFor('bindfs view mounted', () => spawnSync('mountpoint', ['-q', view]).status === 0, 10_000);
    } else {
      await symlink(drive.shared, view);
    }
    views.set(id, view);
  }
  const procs = new Map<string, RunningInstance>();
  const all: RunningInstance[] = [];
  return {
    drive,
    ids,
    ports: new Map(ids.map((id, i) => [id, ports[2 * i]!])),
    views,
    start(id, env = {}) {
      const r = startAt(drive.conf, id, views.get(id)!, env);
      procs.set(id, r);
      all.push(r);
      return r;
    },
    proc(id) {
      const r = procs.get(id);
      if (r === undefined) throw new Error(`${id} was never started`);
      return r;
    },
    stallView(id, stalled) {
      const m = mounts.find((x) => x.id === id);
      if (m === undefined) return false;
      m.proc.kill(stalled ? 'SIGSTOP' : 'SIGCONT');
      return true;
    },
    records: async () => allRecords(drive.shared),
    async coordinator() {
      let c: { instanceId: string; term: number } | undefined;
      for (const r of await allRecords(drive.shared)) {
        if (r.type === 'CoordinatorElected') c = { instanceId: r.data.instanceId, term: r.data.term };
      }
      return c;
    },
    async cleanup() {
      // A stalled view first: an instance hung in a drive call cannot even die cleanly on it.
      for (const m of mounts) m.proc.kill('SIGCONT');
      for (const r of all) {
        if (r.child.exitCode === null && r.child.signalCode === null) {
          r.child.kill('SIGCONT');
          r.child.kill('SIGKILL');
        }
        await r.exited;
      }
      for (const m of mounts) {
        m.proc.kill('SIGCONT');
        spawnSync('fusermount', ['-u', m.dir]);
        m.proc.kill('SIGKILL');
      }
      await drive.cleanup();
    },
  };
}

/** `darkroom start --conf CONF --id ID --shared VIEW`, the node process itself (signals reach it). */
export function startAt(
  conf: string,
  id: string,
  view: string,
  env: NodeJS.ProcessEnv = {},
): RunningInstance {
  const args = [bin, 'start', '--conf', conf, '--id', id, '--shared', view];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, DARKROOM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((res) => {
    child.on('exit', (code, sig) => res(code ?? sig ?? -1));
  });
  return { child, output: () => text, exited, signal: (sig) => child.kill(sig) };
}

/** Waits until the instance in `r` has started all its parts (its HTTP server may still be starting). */
export async function running(r: RunningInstance, what = 'instance running'): Promise<void> {
  await waitFor(what, () => r.output().includes('"msg":"instance started"'), 90_000, r.output);
}

/** The instances that completed at least one job, by the log (JobCompleted writers). */
export function workers(records: readonly LogRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) if (r.type === 'JobCompleted') out.set(r.by, (out.get(r.by) ?? 0) + 1);
  return out;
}
