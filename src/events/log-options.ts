// The options of an EventLog handle (src/events/event-log.ts), with their defaults and units.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { DEFAULT_STALE_MS } from './append-lock.js';
import type { Projector } from './projector.js';

export interface EventLogOptions<S> {
  /** Shared drive root: the log in <shared>/log, snapshots in <shared>/snapshots. */
  sharedDir: string;
  /** Envelope `by`/`inc` (inc 0 until InstanceStarted is acknowledged; the CLI uses by "cli:<user>"). */
  writer: { by: string; inc: number };
  projector: Projector<S>;
  clock?: Clock;
  logger?: Logger;
  /** proper-lockfile timings (defaults 2500/500 ms; proper-lockfile clamps update to >= 1000). */
  lock?: { staleMs?: number; updateMs?: number };
  /** Default true: appends arriving while a write is under way go together in the next batch. */
  groupCommit?: boolean;
  /** Follower fallback poll (ms), default 500. */
  pollMs?: number;
  /** Write a snapshot every N applied events (default 10000; 0 = never). */
  snapshotEvery?: number;
  /** When a snapshot is due: whether this handle writes it (e.g. only the coordinator). Default: yes. */
  snapshotWhen?: () => boolean;
  /**
   * Writes a due snapshot instead of `writeSnapshot()` in this thread — e.g. built and encoded in a
   * worker thread from the drive (src/instance/snapshot-thread.ts) — resolving with its file name.
   */
  snapshotWriter?: () => Promise<string | undefined>;
  /**
   * At open, a tail spanning at least this many segments is read and checked in a worker thread
   * while this thread folds it (replay-pipe.ts). Default 2; Infinity = always in this thread.
   */
  replayWorkerMinSegments?: number;
  /**
   * The longest (ms) a view of the drive may show a file as it was earlier (its attribute cache
   * time): a torn-looking batch at the tip is judged only by a read that begins this long after
   * the append lock was taken, and a gap, a torn batch with a later file or a failed read is
   * damage only once it lasted four times this. Default and maximum: half the lock's stale time.
   * 0 only where the drive has no such cache (tests on a local folder).
   */
  settleMs?: number;
  /** Tests: another entry file for the replay worker. */
  replayWorkerEntry?: URL;
  /** Aborts open(): the replay stops between files and open() rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The timings an EventLog derives from its options (ms). */
export interface LogTimings {
  /** The append lock's stale time (proper-lockfile's minimum is 2000). */
  readonly staleMs: number;
  /** The longest a view may show a file as it was earlier: at most half the stale time. */
  readonly settleMs: number;
  /** A gap, a torn batch with a later file, or failing reads lasting this long are damage. */
  readonly damageAfterMs: number;
}

export function logTimings(o: Pick<EventLogOptions<unknown>, 'lock' | 'settleMs'>): LogTimings {
  const staleMs = Math.max(o.lock?.staleMs ?? DEFAULT_STALE_MS, 2000);
  const settleMs = Math.min(o.settleMs ?? Infinity, staleMs / 2);
  return { staleMs, settleMs, damageAfterMs: settleMs * 4 };
}
