// HotfolderWatcher: watches one input folder and reports files that are ready to take — their
// size and mtime unchanged for the file-ready delay. chokidar events are only hints; a periodic
// rescan (readdir + stat) finds what they miss (writes through other mounts, network shares).
import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { compileSkipPattern, isHiddenOrTemporary } from './ignored-file.js';

export interface ReadyFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the input folder, `/`-separated (subfolders kept in the output). */
  readonly relPath: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export type WatcherState = 'starting' | 'running' | 'unreachable' | 'stopping' | 'stopped';

export interface WatcherStatus {
  readonly state: WatcherState;
  readonly dir: string;
  /** Why the folder is unreachable (state `unreachable`): errno code and message. */
  readonly code?: string;
  readonly reason?: string;
  /** Clock time (monotonic ms) of the last state change. */
  readonly since: number;
  /** Files seen and not yet reported ready (still growing, or waiting out the delay). */
  readonly pending: number;
  readonly polling: boolean;
}

/** The two file-system calls the watcher makes (tests make them fail or hang). */
export interface WatcherDrive {
  readdir(dir: string): Promise<Dirent[]>;
  stat(path: string): Promise<Stats>;
}

const nodeDrive: WatcherDrive = {
  readdir: (dir) => readdir(dir, { withFileTypes: true }),
  stat: (path) => stat(path),
};

export interface HotfolderWatcherOptions {
  readonly dir: string;
  /** A file is ready when its size and mtime stayed the same this long (ms). */
  readonly fileReadyDelayMs: number;
  /** Scan subfolders too (hidden subfolders and `excludeDirs` are skipped). Default false. */
  readonly recursive?: boolean;
  /** Poll instead of native events: needed on network shares. Default false. */
  readonly usePolling?: boolean;
  /** chokidar's polling interval (ms). Default 1000. */
  readonly pollIntervalMs?: number;
  /** Full rescan interval (ms), also the retry interval of an unreachable folder. Default 5000. */
  readonly rescanMs?: number;
  /** How often waiting files are stat'ed again (ms). Default: a quarter of the delay, 25..500. */
  readonly settleCheckMs?: number;
  /** A scan that has not answered after this long marks the folder unreachable (ms). Default 3 × rescanMs. */
  readonly stallMs?: number;
  /** Glob on the name (or relative path when it holds a `/`) or `/regex/flags`: files never taken. */
  readonly skipPattern?: string;
  /** Absolute folders not to descend into (an output folder inside the input folder). */
  readonly excludeDirs?: readonly string[];
  readonly clock?: Clock;
  readonly drive?: WatcherDrive;
  readonly logger?: Logger;
  /** Called once per ready file; the caller takes it (or calls `retry`). Awaited before stop() ends. */
  readonly onReady: (file: ReadyFile) => void | Promise<void>;
  /** Called on every state change (running -> unreachable is the channel's standby). */
  readonly onStatus?: (status: WatcherStatus) => void;
}

interface Candidate {
  bytes: number;
  mtimeMs: number;
  stableSince: number;
  reported: boolean;
  inFlight: boolean;
  retryRequested: boolean;
}

const unreachableCodes = new Set([
  'ENOENT',
  'ENOTDIR',
  'EACCES',
  'EPERM',
  'ENOTCONN',
  'EIO',
  'ESTALE',
  'ETIMEDOUT',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

export class HotfolderWatcher {
  private readonly opts: HotfolderWatcherOptions;
  private readonly clock: Clock;
  private readonly drive: WatcherDrive;
  private readonly log: Logger;
  private readonly skip: (relPath: string) => boolean;
  private readonly excluded: Set<string>;
  private readonly candidates = new Map<string, Candidate>();
  private readonly inFlight = new Set<Promise<void>>();
  private state: WatcherState = 'stopped';
  private since: number;
  private problem: { code: string; reason: string } | undefined;
  private chokidar: FSWatcher | undefined;
  private chokidarReady: Promise<void> | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private scanning: { startedAt: number } | undefined;
  private settling = false;
  private stopping: Promise<void> | undefined;

  constructor(options: HotfolderWatcherOptions) {
    this.opts = options;
    this.clock = options.clock ?? systemClock;
    this.drive = options.drive ?? nodeDrive;
    this.log = (options.logger ?? silentLogger).child({ component: 'hotfolder-watcher', dir: options.dir });
    this.skip = options.skipPattern ? compileSkipPattern(options.skipPattern) : () => false;
    this.excluded = new Set(options.excludeDirs ?? []);
    this.since = this.clock.now();
  }

  status(): WatcherStatus {
    let pending = 0;
    for (const c of this.candidates.values()) if (!c.reported) pending++;
    return {
      state: this.state,
      dir: this.opts.dir,
      ...(this.problem ? { code: this.problem.code, reason: this.problem.reason } : {}),
      since: this.since,
      pending,
      polling: this.opts.usePolling ?? false,
    };
  }

  /** Scans the folder once (reporting `running` or `unreachable`), then watches it. */
  async start(): Promise<void> {
    if (this.state !== 'stopped' || this.stopping) return;
    this.setState('starting');
    await this.scan();
    this.scheduleRescan();
    this.scheduleSettle();
  }

  /** Stops timers and chokidar, waits for reports in flight. Idempotent: returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Forget that a file was reported, so it is reported again once stable (the caller left it).
   * May be called from inside onReady: it then takes effect when the handler returns.
   */
  retry(relPath: string): void {
    const c = this.candidates.get(relPath);
    if (!c) return;
    if (c.inFlight) {
      c.retryRequested = true;
      return;
    }
    c.reported = false;
    c.stableSince = this.clock.now();
  }

  private async shutdown(): Promise<void> {
    this.setState('stopping');
    clearTimeout(this.settleTimer);
    clearTimeout(this.rescanTimer);
    try {
      await this.closeChokidar();
    } finally {
      await Promise.allSettled([...this.inFlight]);
      this.setState('stopped');
    }
  }

  private isActive(): boolean {
    return this.state === 'starting' || this.state === 'running' || this.state === 'unreachable';
  }

  private setState(state: WatcherState, problem?: { code: string; reason: string }): void {
    const same = state === this.state && problem?.code === this.problem?.code;
    this.problem = problem;
    if (same) return;
    this.state = state;
    this.since = this.clock.now();
    if (state === 'unreachable')
      this.log.warn({ code: problem?.code, reason: problem?.reason }, 'input folder unreachable');
    this.opts.onStatus?.(this.status());
  }

  private scheduleRescan(): void {
    if (!this.isActive()) return;
    const every = this.opts.rescanMs ?? 5000;
    this.rescanTimer = setTimeout(() => {
      const stallMs = this.opts.stallMs ?? 3 * every;
      if (this.scanning && this.clock.now() - this.scanning.startedAt > stallMs) {
        const waited = Math.round(this.clock.now() - this.scanning.startedAt);
        this.setUnreachable('ETIMEDOUT', `the folder has not answered for ${waited} ms`);
        this.scheduleRescan();
        return;
      }
      // Not chained on the scan: a scan hung on a stalled drive must not stop the stall check.
      void this.scan();
      this.scheduleRescan();
    }, every);
  }

  private scheduleSettle(): void {
    if (!this.isActive()) return;
    const every =
      this.opts.settleCheckMs ?? Math.min(500, Math.max(25, Math.round(this.opts.fileReadyDelayMs / 4)));
    this.settleTimer = setTimeout(() => {
      void this.settle().finally(() => this.scheduleSettle());
    }, every);
  }

  /** Lists the folder (recursively when asked), updates candidates, drops vanished ones. */
  private async scan(): Promise<void> {
    if (this.scanning || !this.isActive()) return;
    this.scanning = { startedAt: this.clock.now() };
    try {
      const seen = new Set<string>();
      await this.walk(this.opts.dir, seen, true);
      if (!this.isActive()) return;
      for (const rel of [...this.candidates.keys()]) {
        const c = this.candidates.get(rel)!;
        if (!seen.has(rel) && !c.inFlight) this.candidates.delete(rel);
      }
      if (this.state !== 'running') {
        this.setState('running');
        this.startChokidar();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (!unreachableCodes.has(code)) this.log.error({ err }, 'scan of input folder failed');
      this.setUnreachable(code, err instanceof Error ? err.message : String(err));
    } finally {
      this.scanning = undefined;
    }
  }

  private setUnreachable(code: string, reason: string): void {
    if (!this.isActive()) return;
    this.setState('unreachable', { code, reason });
    void this.closeChokidar().catch((err: unknown) => this.log.warn({ err }, 'closing chokidar failed'));
  }

  /** Errors on the root folder throw (unreachable); errors below it skip that subfolder. */
  private async walk(dir: string, seen: Set<string>, root: boolean): Promise<void> {
    let entries;
    try {
      entries = await this.drive.readdir(dir);
    } catch (err) {
      if (root) throw err;
      this.log.debug({ err, dir }, 'subfolder not listed');
      return;
    }
    for (const e of entries) {
      if (isHiddenOrTemporary(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (this.opts.recursive && !this.excluded.has(path)) await this.walk(path, seen, false);
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      const rel = this.relOf(path);
      if (this.skip(rel)) continue;
      seen.add(rel);
      await this.observe(rel, path);
    }
  }

  private relOf(path: string): string {
    return relative(this.opts.dir, path).split(sep).join('/');
  }

  /** Stats one file and records a change of size or mtime as "not stable since now". */
  private async observe(rel: string, path: string): Promise<Candidate | undefined> {
    let st;
    try {
      st = await this.drive.stat(path);
    } catch {
      const c = this.candidates.get(rel);
      if (c && !c.inFlight) this.candidates.delete(rel);
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const now = this.clock.now();
    const c = this.candidates.get(rel);
    if (!c) {
      const fresh = {
        bytes: st.size,
        mtimeMs: st.mtimeMs,
        stableSince: now,
        reported: false,
        inFlight: false,
        retryRequested: false,
      };
      this.candidates.set(rel, fresh);
      return fresh;
    }
    if (c.bytes !== st.size || c.mtimeMs !== st.mtimeMs) {
      c.bytes = st.size;
      c.mtimeMs = st.mtimeMs;
      c.stableSince = now;
      c.reported = false;
    }
    return c;
  }

  /** Re-stats files whose delay has passed and reports those still unchanged. */
  private async settle(): Promise<void> {
    if (this.settling || this.state !== 'running') return;
    this.settling = true;
    try {
      const due = [...this.candidates.entries()]
        .filter(
          ([, c]) =>
            !c.reported && !c.inFlight && this.clock.now() - c.stableSince >= this.opts.fileReadyDelayMs,
        )
        .sort(([a, x], [b, y]) => x.stableSince - y.stableSince || (a < b ? -1 : 1));
      for (const [rel] of due) {
        if (this.state !== 'running') return;
        const c = await this.observe(rel, join(this.opts.dir, ...rel.split('/')));
        if (!c || c.reported || c.inFlight) continue;
        if (this.clock.now() - c.stableSince < this.opts.fileReadyDelayMs) continue;
        this.report(rel, c);
      }
    } finally {
      this.settling = false;
    }
  }

  private report(rel: string, c: Candidate): void {
    c.inFlight = true;
    const file: ReadyFile = {
      path: join(this.opts.dir, ...rel.split('/')),
      relPath: rel,
      bytes: c.bytes,
      mtimeMs: c.mtimeMs,
    };
    const done = (async () => {
      try {
        await this.opts.onReady(file);
        c.reported = !c.retryRequested;
        if (c.retryRequested) c.stableSince = this.clock.now();
      } catch (err) {
        this.log.error(
          { err, relPath: rel },
          'handling a ready file failed; it is reported again once stable',
        );
        c.stableSince = this.clock.now();
      } finally {
        c.inFlight = false;
        c.retryRequested = false;
      }
    })();
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private startChokidar(): void {
    if (this.chokidar || !this.isActive()) return;
    const watcher = watch(this.opts.dir, {
      ignoreInitial: true,
      // chokidar's handles never keep the process alive: this watcher's own timers do while it
      // runs. A watcher closed while its initial scan still runs (the folder removed and made
      // again meanwhile) can open fs.watch handles after its close that nothing ever closes;
      // persistent, they kept a stopped `darkroom start` from exiting (test:
      // watcher-flap-handles.test.ts). Not persistent, chokidar also gives each watcher its own
      // handles instead of sharing one per path between watchers.
      // The same happens without a flap, while files come and go (exactly-once.test.ts's lone
      // instance after its coordinator stepped down under load; hotfolder-watcher.test.ts).
      persistent: false,
      usePolling: this.opts.usePolling ?? false,
      interval: this.opts.pollIntervalMs ?? 1000,
      binaryInterval: this.opts.pollIntervalMs ?? 1000,
      depth: this.opts.recursive ? 64 : 0,
      ignored: (path: string) => {
        if (path === this.opts.dir) return false;
        const name = path.slice(path.lastIndexOf(sep) + 1);
        return isHiddenOrTemporary(name) || this.excluded.has(path);
      },
    });
    const hint = (path: string) => {
      if (!this.isActive()) return;
      const rel = this.relOf(path);
      if (this.skip(rel)) return;
      void this.observe(rel, path);
    };
    watcher.on('add', hint);
    watcher.on('change', hint);
    watcher.on('unlink', (path: string) => {
      const c = this.candidates.get(this.relOf(path));
      if (c && !c.inFlight) this.candidates.delete(this.relOf(path));
    });
    watcher.on('unlinkDir', (path: string) => {
      if (path === this.opts.dir) void this.scan();
    });
    watcher.on('error', (err: unknown) => {
      this.log.debug({ err }, 'chokidar error; rescanning');
      void this.scan();
    });
    this.chokidar = watcher;
    this.chokidarReady = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /**
   * Closes chokidar. A watcher closed during its initial scan can still open fs.watch handles
   * afterwards (they keep the process alive after stop), so wait for its 'ready' (bounded) and
   * close once more after it.
   */
  private async closeChokidar(): Promise<void> {
    const w = this.chokidar;
    const ready = this.chokidarReady;
    this.chokidar = undefined;
    this.chokidarReady = undefined;
    if (!w) return;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
    });
    await Promise.race([ready, bounded]);
    clearTimeout(timer);
    await w.close();
    void ready?.then(() => w.close());
  }
}
