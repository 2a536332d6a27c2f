// The fault harness's cluster: N `darkroom start` processes (the node process itself, signalled
// directly), each seeing the shared drive through its own bindfs view, plus the clients that drop
// files into a hotfolder and edit a channel, and the record of every process's life. Faults act
// on it (kill, pause, stall a view); heal() undoes them all; teardown() always leaves nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cli,
  listFiles,
  putChannel,
  repoRoot,
  samplesDir,
  smallSamples,
} from '../../fixtures/instance-drive.js';
import { BindfsView } from './bindfs-view.js';
import type { LogRecord } from '../../../src/events/log-record.js';
import { History } from './history.js';
import { readLog } from './log-peek.js';

const bin = join(repoRoot, 'bin/darkroom.js');

/** Timings for a cluster whose drive views cache for `cacheS` seconds (every key a conf key). */
export function faultConf(cacheS: number): Record<string, string> {
  return {
    heartbeatMs: '250',
    // Above the views' cache time plus a few beats: a lease read through a view is up to cacheS old.
    failureTimeoutMs: String(2000 + cacheS * 1500),
    lockStaleMs: String(3000 + cacheS * 1000),
    lockUpdateMs: '500',
    drainTimeoutMs: '5000',
    logPollMs: '200',
    hotfolderRescanMs: '1000',
    pollIntervalMs: '250',
    pollHotfolders: 'true',
    slots: '2',
    maxAttempts: '4',
  };
}

export interface ProcLife {
  readonly id: string;
  readonly pid: number;
  readonly startedAt: number;
  /** Why the harness expects this process to die, if it does ("SIGKILL", "crash point X", "SIGTERM"). */
  expectDeath?: string;
  exit?: { code: number | null; signal: string | null; at: number };
  /** The process said it is running (its InstanceStarted is in the log). */
  running: boolean;
}

interface Proc {
  readonly life: ProcLife;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output: string;
  paused: boolean;
}

export interface ClusterOptions {
  readonly instances: number;
  readonly cacheS?: number;
  /** Extra conf keys (override faultConf). */
  readonly conf?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  /** The address other instances reach `id` at (default 127.0.0.1; netns.ts gives each its own). */
  readonly hostOf?: (id: string) => string;
  /** A command prefix that runs `id`'s node process, e.g. `ip netns exec NS` (must exec, not fork). */
  readonly execVia?: (id: string) => readonly string[];
  /**
   * Called with the real drive folder (made, still empty) before anything is written to it: e.g.
   * to mount a small tmpfs there for disk-full faults. Its undoing is the caller's, after teardown.
   */
  readonly prepareDrive?: (real: string) => Promise<void>;
}

/** Last bytes of a process's output kept in memory (the rest goes to its log file). */
const OUTPUT_KEPT = 200_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class FaultCluster {
  readonly ids: readonly string[];
  readonly views = new Map<string, BindfsView>();
  readonly lives: ProcLife[] = [];
  readonly history = new History();
  readonly #procs = new Map<string, Proc>();
  #samples: string[] = [];
  #drops = 0;
  #sharedFlag = false;
  readonly conf: Record<string, string>;

  private constructor(
    readonly root: string,
    readonly real: string,
    readonly confFile: string,
    ids: readonly string[],
    conf: Record<string, string>,
    readonly o: ClusterOptions,
  ) {
    this.ids = ids;
    this.conf = conf;
  }

  static async create(o: ClusterOptions): Promise<FaultCluster> {
    const root = await mkdtemp(join(tmpdir(), 'darkroom-faults-'));
    const real = join(root, 'real');
    await mkdir(real, { recursive: true });
    await o.prepareDrive?.(real);
    const ids = Array.from({ length: o.instances }, (_, i) => `s${i + 1}`);
    const servers: string[] = [];
    for (const id of ids)
      servers.push(`${id}@${o.hostOf?.(id) ?? '127.0.0.1'}:${await freePort()}:${await freePort()}`);
    const confFile = join(root, 'ClaroServers.conf');
    const r = await cli([
      'conf',
      'init',
      '--out',
      confFile,
      '--shared',
      real,
      ...servers.flatMap((s) => ['--server', s]),
    ]);
    if (r.code !== 0) throw new Error(`conf init failed: ${r.err}`);
    const cacheS = o.cacheS ?? 2;
    const conf = { ...faultConf(cacheS), ...o.conf };
    const base =
      (await readFile(confFile, 'utf8')) +
      Object.entries(conf)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join('');
    await writeFile(confFile, base);
    const c = new FaultCluster(root, real, confFile, ids, conf, o);
    const help = await cli(['start', '--help']);
    c.#sharedFlag = help.out.includes('--shared');
    for (const id of ids) {
      const view = new BindfsView(real, join(root, 'views', id), { cacheS });
      c.views.set(id, view);
      await view.mount();
      // Without `start --shared`, each instance gets its own conf naming its view as the drive.
      if (!c.#sharedFlag)
        await writeFile(c.#confOf(id), base.replace(/^shared = .*$/m, `shared = ${view.mountPoint}`));
    }
    c.#samples = await smallSamples();
    await mkdir(join(real, 'tmp', 'drops'), { recursive: true });
    return c;
  }

  #confOf(id: string): string {
    return this.#sharedFlag ? this.confFile : join(this.root, `ClaroServers.${id}.conf`);
  }

  get failureTimeoutMs(): number {
    return Number(this.conf['failureTimeoutMs']);
  }

  get lockStaleMs(): number {
    return Number(this.conf['lockStaleMs']);
  }

  #say(line: string): void {
    this.o.log?.(line);
  }

  /** The running (not exited) process of `id`, if any. */
  proc(id: string): { pid: number; paused: boolean; output: string; running: boolean } | undefined {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined) return undefined;
    return { pid: p.life.pid, paused: p.paused, output: p.output, running: p.life.running };
  }

  alive(): string[] {
    return this.ids.filter((id) => this.proc(id) !== undefined);
  }

  /** Starts `darkroom start` for `id` (env: e.g. DARKROOM_CRASH_AT). Does not wait for it to run. */
  start(id: string, env: NodeJS.ProcessEnv = {}): void {
    if (this.proc(id) !== undefined) throw new Error(`${id} is already running`);
    const view = this.views.get(id)!;
    const args = [bin, 'start', '--conf', this.#confOf(id), '--id', id];
    if (this.#sharedFlag) args.push('--shared', view.mountPoint);
    const via = this.o.execVia?.(id) ?? [];
    const [command, ...prefix] = [...via, process.execPath];
    const child = spawn(command, [...prefix, ...args], {
      cwd: repoRoot,
      env: { ...process.env, DARKROOM_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const life: ProcLife = { id, pid: child.pid ?? -1, startedAt: performance.now(), running: false };
    if (env['DARKROOM_CRASH_AT'] !== undefined) life.expectDeath = `crash point ${env['DARKROOM_CRASH_AT']}`;
    this.lives.push(life);
    const proc: Proc = {
      life,
      child,
      paused: false,
      output: '',
      exited: new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          life.exit = { code, signal, at: performance.now() };
          proc.paused = false;
          void this.#saveOutput(proc).finally(resolve);
        });
      }),
    };
    const onData = (d: Buffer): void => {
      proc.output += d.toString();
      if (!life.running && proc.output.includes('running (inc')) life.running = true;
      if (proc.output.length > OUTPUT_KEPT * 2) proc.output = proc.output.slice(-OUTPUT_KEPT);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.#procs.set(id, proc);
    this.#say(
      `start ${id} pid ${life.pid}${env['DARKROOM_CRASH_AT'] !== undefined ? ` (crash at ${env['DARKROOM_CRASH_AT']})` : ''}`,
    );
  }

  async #saveOutput(proc: Proc): Promise<void> {
    await mkdir(join(this.root, 'output'), { recursive: true });
    await writeFile(join(this.root, 'output', `${proc.life.id}.${proc.life.pid}.log`), proc.output).catch(
      () => undefined,
    );
  }

  /**
   * Waits for `id`'s "running" line. Under a load of 20+ (seven helpers on two cores, tests
   * niced) a start took 46 s to its mesh and 14 s more to HTTP: the default bound is generous.
   */
  async whenRunning(id: string, timeoutMs = 150_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const p = this.#procs.get(id);
      if (p?.life.running === true && p.life.exit === undefined) return;
      if (p?.life.exit !== undefined)
        throw new Error(`${id} exited while starting:\n${p.output.slice(-3000)}`);
      if (performance.now() > deadline)
        throw new Error(`${id} not running after ${timeoutMs} ms:\n${p?.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL to the instance process itself. */
  async kill(id: string): Promise<void> {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined) return;
    p.life.expectDeath = 'SIGKILL';
    p.child.kill('SIGKILL');
    await p.exited;
    this.#say(`kill ${id}`);
  }

  /** SIGTERM and wait for the drain (up to `timeoutMs`, then SIGKILL). */
  async stop(id: string, timeoutMs = 30_000): Promise<void> {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined) return;
    if (p.paused) this.resume(id);
    p.life.expectDeath = 'SIGTERM';
    p.child.kill('SIGTERM');
    const done = await Promise.race([
      p.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
    ]);
    if (!done) {
      p.life.expectDeath = 'SIGKILL after a drain that did not end';
      p.child.kill('SIGKILL');
      await p.exited;
    }
    this.#say(`stop ${id}`);
  }

  pause(id: string): boolean {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined || p.paused) return false;
    process.kill(p.life.pid, 'SIGSTOP');
    p.paused = true;
    this.#say(`pause ${id}`);
    return true;
  }

  /**
   * True when `id` stopped itself (a DARKROOM_PAUSE_AT point: state T in /proc); marks it paused
   * so heal() and resume() continue it.
   */
  async selfStopped(id: string): Promise<boolean> {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined) return false;
    const stat = await readFile(`/proc/${p.life.pid}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T') p.paused = true;
    return state === 'T';
  }

  resume(id: string): void {
    const p = this.#procs.get(id);
    if (p === undefined || p.life.exit !== undefined || !p.paused) return;
    process.kill(p.life.pid, 'SIGCONT');
    p.paused = false;
    this.#say(`resume ${id}`);
  }

  stallDrive(id: string): void {
    this.views.get(id)?.stall();
    this.#say(`stall drive of ${id}`);
  }

  resumeDrive(id: string): void {
    this.views.get(id)?.resume();
  }

  /** Undoes every fault: drives resumed, processes resumed, dead instances restarted. */
  async heal(): Promise<void> {
    for (const view of this.views.values()) view.resume();
    for (const id of this.ids) this.resume(id);
    for (const id of this.ids) if (this.proc(id) === undefined) this.start(id);
    for (const id of this.ids) await this.whenRunning(id, 120_000);
    this.#say('healed');
  }

  // --- clients ---------------------------------------------------------------------------

  /**
   * Creates (or sets) `name` from this process. Under a load of 20+ the append can hold the lock
   * past the library's default stale time (E_LOG_LOCK_COMPROMISED: it may be in the log); a retry
   * reopens the log and creates the channel or sets the same settings again.
   */
  async createChannel(name: string, settings: Record<string, unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await putChannel(this.real, name, settings);
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'E_LOG_LOCK_COMPROMISED' || attempt >= 3) throw err;
      }
    }
  }

  inputDir(channel: string): string {
    return join(this.real, 'hotfolders', channel, 'in');
  }

  /**
   * Drops one file into `channel`'s hotfolder as a photographer's copy would appear: written
   * under tmp/ and renamed in, so it is complete when it shows up. `bad` drops a broken image.
   */
  async drop(channel: string, kind: 'good' | 'bad' = 'good'): Promise<string> {
    const n = ++this.#drops;
    const name = `p${String(n).padStart(5, '0')}.jpg`;
    const op = this.history.invoke('drop', { channel, name, kind });
    try {
      const staged = join(this.real, 'tmp', 'drops', name);
      if (kind === 'good') await copyFile(this.#samples[n % this.#samples.length]!, staged);
      else await copyFile(join(samplesDir, 'truncated.jpg'), staged);
      await mkdir(this.inputDir(channel), { recursive: true });
      await rename(staged, join(this.inputDir(channel), name));
      this.history.ok(op);
    } catch (err) {
      this.history.fail(op, String(err));
    }
    return name;
  }

  /** Changes `channel`'s priority through the CLI (an administrator on the file server). */
  async edit(channel: string, priority: number, timeoutMs = 60_000): Promise<void> {
    const op = this.history.invoke('edit', { channel, key: 'priority', value: priority });
    const r = await Promise.race([
      cli(['channel', 'set', channel, '--shared', this.real, '--priority', String(priority)]),
      new Promise<undefined>((res) => setTimeout(() => res(undefined), timeoutMs)),
    ]);
    if (r === undefined) this.history.unknown(op, 'no answer in time');
    else if (r.code === 0) this.history.ok(op);
    else this.history.fail(op, r.err.trim().split('\n').slice(-1)[0] ?? `exit ${r.code}`);
  }

  // --- waiting -----------------------------------------------------------------------------

  /**
   * Waits until the log is quiet: every acknowledged drop has a job with a final outcome, no job
   * is open, an elected coordinator's incarnation is started, work/ is empty, and nothing was
   * appended for a beat. Returns why not on timeout.
   */
  async quiesce(timeoutMs: number): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    let lastSeq = -1;
    for (;;) {
      const { records, damage } = await readLog(this.real);
      if (damage !== undefined) return `the log cannot be read: ${damage}`;
      // Orphans (a take cut short) are resolved by the coordinator's periodic scan, which appends
      // nothing for a folder whose take never happened: wait for work/ to empty as well.
      const work = await listFiles(join(this.real, 'work'));
      const why = this.#notQuiet(records) || (work.length > 0 ? `work/ holds ${work.length} files` : '');
      const { length } = records;
      if (why === '' && length === lastSeq) return undefined;
      lastSeq = length;
      if (performance.now() > deadline) return why || 'the log kept growing';
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  #notQuiet(records: readonly LogRecord[]): string {
    const dropped = this.history.ops
      .filter((o) => o.kind === 'drop' && o.result === 'ok')
      .map((o) => String(o.data['name']));
    const submitted = new Map<string, string>();
    const open = new Set<string>();
    let coordinator: { id: string; inc: number } | undefined;
    const started = new Map<string, number>();
    for (const r of records) {
      if (r.type === 'JobSubmitted') {
        submitted.set(r.data.relPath, r.data.jobId);
        open.add(r.data.jobId);
      }
      if (r.type === 'JobCompleted' || r.type === 'JobFailed' || r.type === 'JobCancelled')
        open.delete(r.data.jobId);
      if (r.type === 'JobRetried') open.add(r.data.jobId);
      if (r.type === 'CoordinatorElected') coordinator = { id: r.data.instanceId, inc: r.data.inc };
      if (r.type === 'InstanceStarted') started.set(r.data.instanceId, r.seq);
    }
    const missing = dropped.filter((n) => !submitted.has(n));
    if (missing.length > 0)
      return `${missing.length} dropped files not submitted (${missing.slice(0, 3).join(', ')})`;
    if (open.size > 0) return `${open.size} jobs not final`;
    if (coordinator === undefined) return 'no coordinator';
    if (started.get(coordinator.id) !== coordinator.inc)
      return `coordinator ${coordinator.id}/${coordinator.inc} has restarted and none was elected since`;
    return '';
  }

  /** Waits until `id`'s process exits (e.g. at a crash point); false on timeout. */
  async whenExited(id: string, timeoutMs: number): Promise<boolean> {
    const p = this.#procs.get(id);
    if (p === undefined) return true;
    return Promise.race([
      p.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
    ]);
  }

  /** Stops every instance (SIGTERM, drained), unmounts every view, removes the temp folder unless `keep`. */
  async teardown(keep = false): Promise<void> {
    for (const view of this.views.values()) view.resume();
    for (const id of this.ids) this.resume(id);
    await Promise.all(this.ids.map(async (id) => this.stop(id, 15_000).catch(() => undefined)));
    for (const p of this.#procs.values()) {
      if (p.life.exit === undefined) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    for (const view of this.views.values()) await view.unmount();
    if (!keep && process.env['DARKROOM_KEEP_TMP'] === undefined)
      await rm(this.root, { recursive: true, force: true });
  }

  /** Output of every process that ran (kept in memory), for a failure report. */
  outputTail(id: string, chars = 4000): string {
    return this.#procs.get(id)?.output.slice(-chars) ?? '';
  }

  /** `darkroom log verify` on the real drive. */
  async verifyLog(): Promise<{ code: number; out: string; err: string }> {
    return cli(['log', 'verify', '--shared', this.real]);
  }
}
