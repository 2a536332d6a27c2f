// The options of an EventLog handle (src/events/event-log.ts), with their defaults and units.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
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
   * How long (ms) a torn-looking batch or a gap at the tip must stay so before it is acted on
   * (repaired, or reported as damage): a view with attribute caching can show a batch written
   * through another mount as short for a moment. Default: the lock's stale time. 0 only where
   * the drive has no such cache (tests on a local folder).
   */
  settleMs?: number;
  /** Tests: another entry file for the replay worker. */
  replayWorkerEntry?: URL;
  /** Aborts open(): the replay stops between files and open() rejects with the signal's reason. */
  signal?: AbortSignal;
}
