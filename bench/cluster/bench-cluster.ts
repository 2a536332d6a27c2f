// A cluster of real `darkroom start` processes for bench:cluster: a temp drive with a conf made by
// `darkroom conf init` (default timings unless given), free loopback ports, one node process per
// instance (signals reach it, not a wrapper), and a follower log in this process that notes when
// each record was applied here (performance.now()), so the bench reads times without re-reading
// the log. Tears down every process and the temp folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventLog } from '../../src/events/event-log.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
const bin = join(repoRoot, 'bin/darkroom.js');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

export interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
}

export interface BenchCluster {
  readonly shared: string;
  readonly conf: string;
  readonly ids: readonly string[];
  /** Records applied in this process, each with the time it was applied here. */
  readonly seen: readonly { readonly record: LogRecord; readonly at: number; readonly batch: number }[];
  readonly log: EventLog<ProjectionState>;
  start(id: string, env?: NodeJS.ProcessEnv): Proc;
  proc(id: string): Proc;
  /** Resolves when `id`'s current process logged "instance started". */
  running(id: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the first record applied here (from index `from` on) that satisfies `test`. */
  when(
    test: (r: LogRecord) => boolean,
    timeoutMs: number,
    from?: number,
  ): Promise<{ record: LogRecord; at: number; batch: number }>;
  cleanup(): Promise<void>;
}

export async function benchCluster(
  ids: readonly string[],
  set: Readonly<Record<string, string>> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<BenchCluster> {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-bench-cluster-'));
  const shared = join(root, 'shared');
  const conf = join(root, 'ClaroServers.conf');
  const servers: string[] = [];
  for (const id of ids) servers.push(`${id}@127.0.0.1:${await freePort()}:${await freePort()}`);
  const init = spawnSync(
    process.execPath,
    [bin, 'conf', 'init', '--out', conf, '--shared', shared, ...servers.flatMap((s) => ['--server', s])],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`conf init failed: ${init.stderr}`);
  await appendFile(
    conf,
    Object.entries(set)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(''),
  );
  const log = await EventLog.open<ProjectionState>({
    sharedDir: shared,
    writer: { by: 'cli:bench', inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
    pollMs: 10,
  });
  const seen: { record: LogRecord; at: number; batch: number }[] = [];
  const waiters = new Set<() => void>();
  let batches = 0;
  // One onApplied call per batch file read (or written) here: `batch` numbers them.
  log.onApplied((records) => {
    const at = performance.now();
    const batch = batches++;
    for (const record of records) seen.push({ record, at, batch });
    for (const w of [...waiters]) w();
  });
  log.startFollowing();
  const procs = new Map<string, Proc>();
  const all: Proc[] = [];
  const c: BenchCluster = {
    shared,
    conf,
    ids,
    seen,
    log,
    start(id, extra = {}) {
      const child = spawn(process.execPath, [bin, 'start', '--conf', conf, '--id', id], {
        cwd: repoRoot,
        env: {
          ...process.env,
          DARKROOM_LOG_LEVEL: 'info',
          DARKROOM_HTTP_HOST: '127.0.0.1',
          ...env,
          ...extra,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      const keep = (d: Buffer): void => {
        text = (text + d.toString()).slice(-200_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const exited = new Promise<number | string>((res) =>
        child.on('exit', (code, sig) => res(code ?? sig ?? -1)),
      );
      const p: Proc = { child, exited, output: () => text };
      procs.set(id, p);
      all.push(p);
      return p;
    },
    proc(id) {
      const p = procs.get(id);
      if (p === undefined) throw new Error(`${id} was never started`);
      return p;
    },
    async running(id, timeoutMs = 120_000) {
      const p = c.proc(id);
      const deadline = performance.now() + timeoutMs;
      while (!p.output().includes('"msg":"instance started"')) {
        if (p.child.exitCode !== null || performance.now() > deadline)
          throw new Error(`${id} did not start:\n${p.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async when(test, timeoutMs, from = 0) {
      const find = (): { record: LogRecord; at: number; batch: number } | undefined => {
        for (let i = from; i < seen.length; i++) if (test(seen[i]!.record)) return seen[i];
        return undefined;
      };
      const now = find();
      if (now !== undefined) return now;
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`bench: nothing matched within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          const r = find();
          if (r === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          res(r);
        };
        waiters.add(check);
      });
    },
    async cleanup() {
      for (const p of all) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGCONT');
          p.child.kill('SIGKILL');
        }
        await p.exited;
      }
      await log.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return c;
}

/** Median and max (and p95) of a list of numbers. */
export function stats(xs: readonly number[]): { median: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { median: at(0.5), p95: at(0.95), max: s.at(-1) ?? NaN };
}
