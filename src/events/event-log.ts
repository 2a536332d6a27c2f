// EventLog: one instance's handle on the shared log — opens it from the best matching snapshot
// plus the tail, follows it (wake-ups and a polling fallback), and appends batches with
// conditions and group commit, repairing a torn batch at the tip when it holds the lock.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { asDarkroomError, DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { silentLogger, type Logger } from '../logger.js';
import { acquireAppendLock, checkLockFence, type HeldLock } from './append-lock.js';
import { batchName, fileBytes, moveAside, TrailingWarnings, writeBatchFile } from './batch-file.js';
import { planBatch, withdrawAborted, type PendingAppend } from './batch-plan.js';
import type { Condition } from './conditions.js';
import type { DarkroomEvent } from './event-types.js';
import { requireLog } from './log-init.js';
import { LogCursor, listSegments, type ReadEntry, type ReadStep } from './log-cursor.js';
import { loadSnapshot, replayInWorker, settleTip } from './log-open.js';
import { logTimings, type EventLogOptions, type LogTimings } from './log-options.js';
import type { LogRecord } from './log-record.js';
import { validateEvent } from './record-codec.js';
import { writeAndPrune } from './snapshot-store.js';
import { ReaderHealth } from './reader-health.js';
import { TipRepair, withoutWritten } from './tip-repair.js';

export type { EventLogOptions };

export type LogStatus = 'starting' | 'running' | 'stopping' | 'stopped';

/** EEXIST retries of one group before it is reported not acknowledged. */
const MAX_COLLISIONS = 100;

export class EventLog<S> {
  private cursor: LogCursor;
  private current: S;
  private readonly logDir: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly queue: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  private mutex: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(records: readonly LogRecord[], state: S) => void>();
  private readonly writtenListeners = new Set<(lastSeq: number) => void>();
  private readonly changeWaiters = new Set<() => void>();
  private pendingRepairs: DarkroomEvent[] = [];
  private appliedSinceSnapshot = 0;
  private snapshotting: Promise<unknown> | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private following = false;
  private wakeScheduled = false;
  private stopping: Promise<void> | undefined;
  private phase: LogStatus = 'starting';
  private writer: { by: string; inc: number };
  private readonly trailing: TrailingWarnings;

  private constructor(private readonly o: EventLogOptions<S>) {
    this.logDir = join(o.sharedDir, 'log');
    this.clock = o.clock ?? systemClock;
    this.logger = (o.logger ?? silentLogger).child({ component: 'event-log' });
    this.trailing = new TrailingWarnings(this.logger);
    this.cursor = new LogCursor(this.logDir);
    this.current = o.projector.initial();
    this.writer = { ...o.writer };
    this.timings = logTimings(o);
    this.health = new ReaderHealth(this.clock, this.logger, this.timings.damageAfterMs);
    this.tip = new TipRepair(
      {
        logDir: this.logDir,
        clock: this.clock,
        logger: this.logger,
        next: () => this.cursor.next,
        readTail: () => this.readTail(),
      },
      this.timings,
    );
  }

  /**
   * Loads the newest matching snapshot and replays the tail. The log must exist (`initLog`):
   * a missing or empty drive is E_LOG_UNREACHABLE, never a new log.
   */
  static async open<S>(o: EventLogOptions<S>): Promise<EventLog<S>> {
    const log = new EventLog(o);
    o.signal?.throwIfAborted();
    await requireLog(o.sharedDir);
    try {
      await mkdir(join(o.sharedDir, 'snapshots'), { recursive: true });
    } catch (err) {
      throw new DarkroomError(
        'E_LOG_UNREACHABLE',
        { dir: o.sharedDir, reason: (err as Error).message },
        { cause: err },
      );
    }
    await log.load();
    log.phase = 'running';
    return log;
  }

  get state(): S {
    return this.current;
  }

  /** The shared drive root this handle reads (this instance's path of it). */
  get sharedDir(): string {
    return this.o.sharedDir;
  }

  get seq(): number {
    return this.cursor.next - 1;
  }

  status(): LogStatus {
    return this.phase;
  }

  setWriter(by: string, inc: number): void {
    this.writer = { by, inc };
  }

  /** Registers a listener called after each applied file or batch; returns its undo. */
  onApplied(listener: (records: readonly LogRecord[], state: S) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers a listener called after each batch this handle wrote is acknowledged; returns its undo. */
  onWritten(listener: (lastSeq: number) => void): () => void {
    this.writtenListeners.add(listener);
    return () => this.writtenListeners.delete(listener);
  }

  private async load(): Promise<void> {
    let refused = false;
    const snap = await loadSnapshot(this.o.sharedDir, this.logDir, this.o.projector, this.logger, () => {
      refused = true;
    });
    if (snap !== undefined) {
      this.current = snap.state;
      this.cursor = snap.cursor;
      this.applyEntries(snap.entries);
      this.logger.info({ file: snap.file, seq: snap.seq }, 'loaded snapshot');
    }
    await replayInWorker({
      logDir: this.logDir,
      cursor: this.cursor,
      logger: this.logger,
      minSegments: this.o.replayWorkerMinSegments ?? 2,
      workerEntry: this.o.replayWorkerEntry,
      signal: this.o.signal,
      checkAborted: () => {
        if (this.phase === 'starting') this.o.signal?.throwIfAborted();
      },
      warnTrailing: (file, trailing) => this.trailing.warn(file, trailing),
      apply: (records) => this.applyRecords(records),
      replayFold: () => this.replayFold(),
      seq: () => this.seq,
    });
    await settleTip(this.logDir, {
      readTail: () => this.readTail(),
      next: () => this.cursor.next,
      clock: this.clock,
      damageAfterMs: this.timings.damageAfterMs,
    });
    // A refused snapshot makes the next one due at once (for a handle that writes them), so the
    // cluster soon has a good snapshot newer than the bad one and stops warning about it.
    this.appliedSinceSnapshot = refused ? Number.MAX_SAFE_INTEGER : 0;
  }

  /** A long replay's fold (Projector.replay): the state is the handle's once it finishes. */
  private replayFold(): { apply(records: readonly LogRecord[]): void; finish(): void } | undefined {
    const fold = this.o.projector.replay?.(this.current);
    if (fold === undefined) return undefined;
    return {
      apply: (records) => fold.apply(records),
      finish: () => this.commit(fold.finish(), []),
    };
  }

  private applyEntries(entries: readonly ReadEntry[]): void {
    this.applyRecords(entries.map((e) => e.record));
  }

  private applyRecords(records: readonly LogRecord[]): void {
    if (records.length === 0) return;
    const p = this.o.projector;
    // Replay and follower reads fold a whole file at once; the batch path must equal apply-by-apply.
    let s = this.current;
    if (p.applyBatch !== undefined) s = p.applyBatch(s, records);
    else for (const r of records) s = p.apply(s, r);
    this.commit(s, records);
  }

  private commit(state: S, records: readonly LogRecord[]): void {
    this.current = state;
    // A repair we queued may have been written by a batch that was not acknowledged to us.
    if (this.pendingRepairs.length > 0) this.pendingRepairs = withoutWritten(this.pendingRepairs, records);
    this.appliedSinceSnapshot += records.length;
    for (const l of this.listeners) {
      try {
        l(records, state);
      } catch (err) {
        this.logger.error({ err, seq: this.seq }, 'onApplied listener failed');
      }
    }
    for (const w of this.changeWaiters) w();
    this.changeWaiters.clear();
  }

  /**
   * How long (ms) this handle has failed to read the log, once that is past the bound (four
   * settle times); undefined while it follows. An instance that is not following must not keep
   * a lease or stand for election: its projection is behind.
   */
  notFollowingMs(): number | undefined {
    return this.health.notFollowingMs();
  }

  /** Reads every complete file past the tip. Returns the torn batch at the tip, if any. */
  private readTail(): Promise<Extract<ReadStep, { kind: 'incomplete' }> | undefined> {
    return this.health.track(
      () => this.cursor.next,
      () => this.readTailOnce(),
    );
  }

  private async readTailOnce(): Promise<Extract<ReadStep, { kind: 'incomplete' }> | undefined> {
    await this.cursor.refreshSegments();
    for (;;) {
      const step = await this.cursor.readNext();
      if (step.kind === 'end') return undefined;
      if (step.kind === 'incomplete') return step;
      this.trailing.warn(step.file, step.trailing);
      this.applyEntries(step.entries);
      // Yield between files so a long replay does not starve timers and the heartbeat path.
      await new Promise<void>((r) => setImmediate(r));
      if (this.phase === 'starting') this.o.signal?.throwIfAborted();
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  /** Reads new batches and segments now; returns the last applied seq. */
  async catchUp(): Promise<number> {
    await this.exclusive(() => this.readTail());
    this.maybeSnapshot();
    return this.seq;
  }

  /** A hint that the log grew (a peer said so): catch up soon. */
  wake(): void {
    if (this.wakeScheduled || this.phase !== 'running') return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.catchUp().catch(() => undefined); // logged by the reader's health; the follower retries
    });
    for (const w of this.changeWaiters) w();
    this.changeWaiters.clear();
  }

  /** Starts the polling fallback (every pollMs) until stop(). */
  startFollowing(): void {
    if (this.following || this.phase !== 'running') return;
    this.following = true;
    const tick = (): void => {
      this.followTimer = undefined;
      // A failed read is logged by the reader's health (once, then past its bound) and retried here.
      this.catchUp()
        .catch(() => undefined)
        .finally(() => {
          if (this.following) this.followTimer = setTimeout(tick, this.o.pollMs ?? 500);
        });
    };
    this.followTimer = setTimeout(tick, this.o.pollMs ?? 500);
  }

  private nextChange(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.changeWaiters.add(done);
    });
  }

  /** Resolves with the state once `seq` is applied (catching up meanwhile); E_LOG_UNREACHABLE on timeout. */
  async whenApplied(seq: number, timeoutMs = 10_000): Promise<S> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if (this.seq >= seq) return this.current;
      let failure: unknown;
      // A failed read is retried until the deadline (a caching view can show a batch late).
      await this.catchUp().catch((err: unknown) => (failure = err));
      if (this.seq >= seq) return this.current;
      const left = deadline - this.clock.now();
      if (left <= 0) {
        if (failure !== undefined) throw asDarkroomError(failure);
        throw new DarkroomError('E_LOG_UNREACHABLE', {
          dir: this.logDir,
          reason: `seq ${seq} not applied within ${timeoutMs} ms (at seq ${this.seq})`,
        });
      }
      await this.nextChange(Math.min(left, this.o.pollMs ?? 500));
    }
  }

  /**
   * Appends `events` as one unit: catches up, checks `conditions` at the tip (the whole append is
   * refused with E_LOG_CONDITION_FAILED naming the condition), writes and reads back one batch,
   * applies it and resolves with the written records. Not written: E_LOG_NOT_ACKNOWLEDGED.
   */
  append(
    events: readonly DarkroomEvent[],
    opts: { conditions?: readonly Condition[]; term?: number; signal?: AbortSignal } = {},
  ): Promise<readonly LogRecord[]> {
    if (this.phase !== 'running') {
      return Promise.reject(
        new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', { reason: `the log is ${this.phase}` }),
      );
    }
    if (events.length === 0) return Promise.resolve([]);
    try {
      for (const e of events) validateEvent(e, this.seq + 1);
    } catch (err) {
      return Promise.reject(asDarkroomError(err));
    }
    return new Promise<readonly LogRecord[]>((resolve, reject) => {
      this.queue.push({
        events,
        conditions: opts.conditions ?? [],
        term: opts.term,
        signal: opts.signal,
        resolve,
        reject,
      });
      this.writing ??= this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    // Group commit: the loop takes its first group a microtask later, so appends made in the same
    // synchronous run (a worker starting several jobs, an assignment beside an ingest) share one
    // batch; each keeps its own conditions (planBatch accepts or refuses each).
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const group = this.o.groupCommit === false ? this.queue.splice(0, 1) : this.queue.splice(0);
        try {
          await this.writeGroup(group);
        } catch (err) {
          const e = isDarkroomError(err)
            ? err
            : new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', { reason: (err as Error).message }, { cause: err });
          for (const a of group) a.reject(e);
        }
      }
    } finally {
      this.writing = undefined;
    }
    this.maybeSnapshot();
  }

  /** Writes one group; a torn-looking tip is TipRepair's (tip-repair.ts), the group then retries. */
  private async writeGroup(all: readonly PendingAppend[]): Promise<void> {
    while ((await this.writeGroupOnce(all)) === 'wait') await new Promise((r) => setTimeout(r, 100));
  }

  private readonly timings: LogTimings;
  private readonly tip: TipRepair;
  private readonly health: ReaderHealth;

  /**
   * Takes the append lock, then the handle's read/write mutex: a catch-up (a worker's attempt
   * check, whenApplied) waits only for the write itself, never while this handle waits for the
   * lock another writer holds. The fence counts from taking the lock, the mutex wait included.
   */
  private async writeGroupOnce(all: readonly PendingAppend[]): Promise<'wait' | undefined> {
    const group = withdrawAborted(all);
    if (group.length === 0) return;
    const { staleMs } = this.timings;
    const lock = await acquireAppendLock(this.logDir, this.o.lock ?? {}, Math.max(30_000, staleMs * 4));
    const acquiredAt = this.clock.now();
    try {
      return await this.exclusive(() => this.writeLocked(group, lock, acquiredAt));
    } finally {
      await lock.release();
    }
  }

  private async writeLocked(
    all: readonly PendingAppend[],
    lock: HeldLock,
    acquiredAt: number,
  ): Promise<'wait' | undefined> {
    let group = withdrawAborted(all);
    if (group.length === 0) return;
    const { staleMs } = this.timings;
    for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
      const torn = await this.readTail();
      if (torn !== undefined) {
        const outcome = await this.tip.handle(torn, lock, acquiredAt);
        if (outcome.kind !== 'repaired') return 'wait';
        // Written under the same lock: its BatchRepaired must take the torn batch's seq.
        this.pendingRepairs.push(outcome.event);
        continue;
      }
      this.tip.clear();
      group = withdrawAborted(group);
      if (group.length === 0) return;
      // A repair queued for another seq (another writer wrote there first) is not ours to record.
      this.pendingRepairs = this.pendingRepairs.filter(
        (e) => e.type !== 'BatchRepaired' || e.data.file === batchName(this.cursor.next),
      );
      // After a repair's long hold: take the lock afresh rather than fail the group.
      if (this.pendingRepairs.length > 0 && this.clock.now() - acquiredAt > staleMs * 0.8) return 'wait';
      const plan = planBatch(
        this.o.projector,
        { state: this.current, next: this.cursor.next, prev: this.cursor.prev ?? '' },
        this.writer,
        this.clock.wallTime().toISOString(),
        this.pendingRepairs,
        group,
      );
      if (plan.records.length === 0) {
        for (const [a, failure] of plan.refused) a.reject(failure);
        return;
      }
      checkLockFence(lock, this.clock.now() - acquiredAt, staleMs, 'before the batch was created');
      const first = plan.records[0]!.seq;
      const last = plan.records[plan.records.length - 1]!;
      const bytes = fileBytes(plan.lines, { count: plan.records.length, first, last: last.hash });
      try {
        await writeBatchFile(
          this.logDir,
          bytes,
          first,
          () => lock.compromised === undefined && this.clock.now() - acquiredAt < staleMs * 0.8,
        );
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      if ((await listSegments(this.logDir)).some((s) => s.first <= first && first <= s.last)) {
        // Our view was older than a pack that removed this batch name: our file is a stale
        // duplicate that was never acknowledged. Move it aside and catch up.
        await moveAside(this.logDir, batchName(first));
        continue;
      }
      checkLockFence(
        lock,
        this.clock.now() - acquiredAt,
        staleMs,
        'after the batch was written (it may be in the log)',
      );
      this.cursor.next = last.seq + 1;
      this.cursor.prev = last.hash;
      this.pendingRepairs = [];
      this.commit(plan.state, plan.records);
      for (const [a, recs] of plan.accepted) a.resolve(recs);
      for (const [a, failure] of plan.refused) a.reject(failure);
      for (const l of this.writtenListeners) l(last.seq);
      return;
    }
    throw new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', {
      reason: `${MAX_COLLISIONS} other writers took the next seq first`,
    });
  }

  private maybeSnapshot(): void {
    const every = this.o.snapshotEvery ?? 10_000;
    if (every <= 0 || this.appliedSinceSnapshot < every || this.snapshotting || this.phase !== 'running')
      return;
    if (this.o.snapshotWhen !== undefined && !this.o.snapshotWhen()) return;
    const writer = this.o.snapshotWriter;
    if (writer !== undefined) this.appliedSinceSnapshot = 0;
    this.snapshotting = (writer !== undefined ? writer() : this.writeSnapshot())
      .catch((err: unknown) => this.logger.warn({ err, seq: this.seq }, 'snapshot not written'))
      .finally(() => {
        this.snapshotting = undefined;
      });
  }

  /** Writes a snapshot of the current projection (temp + rename); returns its file name. */
  async writeSnapshot(): Promise<string | undefined> {
    const p = this.o.projector.provenance(this.current);
    if (p.seq === 0) return undefined;
    this.appliedSinceSnapshot = 0;
    return writeAndPrune(this.o.sharedDir, p, this.o.projector.toSnapshot(this.current));
  }

  /** Stops following and writing; appends not yet started are rejected. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.phase = 'stopping';
    this.following = false;
    if (this.followTimer) clearTimeout(this.followTimer);
    for (const a of this.queue.splice(0)) {
      a.reject(new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', { reason: 'the log is stopping' }));
    }
    await Promise.allSettled([this.writing, this.mutex, this.snapshotting]);
    for (const w of this.changeWaiters) w();
    this.changeWaiters.clear();
    this.phase = 'stopped';
  }
}
