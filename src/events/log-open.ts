// Opening the log: the newest snapshot that matches the log, and the long tail after it checked
// by a worker thread while this thread folds it (the tip is then read by the handle's own cursor).
//
// Files touched: none written; reads <shared>/snapshots/ and log/ batches and segments by name.
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import { LogCursor, gapDamage, listSegments, type ReadEntry } from './log-cursor.js';
import type { LogRecord } from './log-record.js';
import type { Projector } from './projector.js';
import { ReplayWorkerFault, replayFiles } from './replay-pipe.js';
import { listSnapshots, readSnapshotFile, snapshotRefusal } from './snapshot-store.js';

export interface SnapshotStart<S> {
  readonly file: string;
  readonly seq: number;
  readonly state: S;
  /** Positioned at the snapshot's seq + 1 (inside the file holding the snapshot's seq). */
  readonly cursor: LogCursor;
  /** The records after the snapshot's seq in the file that holds it. */
  readonly entries: readonly ReadEntry[];
}

/**
 * The newest snapshot whose seq and hash match the log's record there and whose body matches its
 * digest (snapshot-store.ts); undefined when none does (replay from seq 1). A refused snapshot is
 * never used: it is logged as one warning line (its code, file and seq; no stack), reported to
 * `onRefused`, and the next older one tried.
 */
export async function loadSnapshot<S>(
  sharedDir: string,
  logDir: string,
  projector: Projector<S>,
  logger: Logger,
  onRefused?: (refusal: DarkroomError) => void,
): Promise<SnapshotStart<S> | undefined> {
  for (const snap of await listSnapshots(sharedDir)) {
    try {
      const cursor = new LogCursor(logDir, snap.seq, undefined);
      await cursor.refreshSegments();
      const step = await cursor.readNext();
      const at = step.kind === 'records' ? step.entries[0]?.record : undefined;
      if (at === undefined || at.seq !== snap.seq || at.hash !== snap.hash) {
        throw new DarkroomError('E_SNAPSHOT_MISMATCH', {
          file: snap.file,
          seq: snap.seq,
          detail:
            at?.seq === snap.seq
              ? `the log's record there has hash ${at.hash.slice(0, 12)}…, the snapshot's ${snap.hash.slice(0, 12)}… (a snapshot of another log)`
              : `the log ends before seq ${snap.seq} (a snapshot of another, longer log)`,
        });
      }
      // Verified against its name and digest (snapshot-store.ts) before anything in it is believed.
      const body = await readSnapshotFile(sharedDir, snap.file);
      const state = projector.fromSnapshot(body.state);
      const p = projector.provenance(state);
      if (p.seq !== snap.seq || p.hash !== snap.hash) {
        throw new DarkroomError('E_SNAPSHOT_MISMATCH', {
          file: snap.file,
          seq: snap.seq,
          detail: `its state covers seq ${p.seq}, not the position in its name`,
        });
      }
      const entries = step.kind === 'records' ? step.entries.slice(1) : [];
      return { file: snap.file, seq: snap.seq, state, cursor, entries };
    } catch (err) {
      if (isDarkroomError(err, 'E_LOG_TOO_NEW')) throw err;
      const e = snapshotRefusal(snap.file, err);
      logger.warn(
        { code: e.code, file: snap.file, seq: snap.seq },
        `${e.code}: ${e.message}; ignored, using an older snapshot or a full replay`,
      );
      onRefused?.(e);
    }
  }
  return undefined;
}

/** What a worker-checked replay folds into: the handle's cursor and its apply path. */
export interface ReplayTarget {
  readonly logDir: string;
  readonly cursor: LogCursor;
  readonly logger: Logger;
  /** Segments the tail must span to use the worker (Infinity: never). */
  readonly minSegments: number;
  /** Tests: another entry file for the replay worker. */
  readonly workerEntry?: URL | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Checked between files: throws to stop the replay (an abort during open). */
  checkAborted(): void;
  warnTrailing(file: string, trailing: { offset: number; bytes: number } | undefined): void;
  apply(records: readonly LogRecord[]): void;
  /** The projector's replay fold (Projector.replay), committed to the handle's state by finish(). */
  replayFold?(): { apply(records: readonly LogRecord[]): void; finish(): void } | undefined;
  seq(): number;
}

/** A long tail (segments) at open: checked by a worker, folded here; the tip is left to the cursor. */
export async function replayInWorker(t: ReplayTarget): Promise<void> {
  const { next, prev } = t.cursor;
  if (!Number.isFinite(t.minSegments) || prev === undefined || !t.cursor.atFileStart) return;
  const ahead = (await listSegments(t.logDir)).filter((seg) => seg.last >= next).length;
  if (ahead === 0 || ahead < t.minSegments) return;
  t.logger.info({ from: next, segments: ahead }, 'replay: the log is checked in a worker thread');
  try {
    await foldFromWorker(t, next, prev);
  } catch (err) {
    if (!(err instanceof ReplayWorkerFault) || t.signal?.aborted === true) throw err;
    // The worker failed, not the log: what it sent is applied, the rest is read in this thread.
    t.logger.warn({ err, seq: t.seq() }, 'replay worker failed; reading the rest in this thread');
  }
}

async function foldFromWorker(t: ReplayTarget, next: number, prev: string): Promise<void> {
  // One fold for the whole replay where the projector has one; what it folded is committed even
  // when the replay stops (a worker fault: the rest is then read from the last file delivered).
  const fold = t.replayFold?.();
  try {
    await foldFiles(t, next, prev, (records) =>
      fold === undefined ? t.apply(records) : fold.apply(records),
    );
  } finally {
    fold?.finish();
  }
}

async function foldFiles(
  t: ReplayTarget,
  next: number,
  prev: string,
  apply: (records: readonly LogRecord[]) => void,
): Promise<void> {
  for await (const f of replayFiles(t.logDir, next, prev, 4, t.workerEntry)) {
    t.warnTrailing(f.file, f.trailing);
    // Checked by a worker (or read here when it could not vouch), folded a slice at a time.
    for (const records of f.slices()) apply(records);
    t.cursor.skipTo(f.lastSeq + 1, f.lastHash);
    await new Promise<void>((r) => setImmediate(r));
    t.checkAborted();
  }
}

/** The tip as the handle reads it at open (its own cursor, its reader health). */
export interface TipReader {
  /** Reads every complete file past the tip; returns the torn batch at the tip, if any. */
  readTail(): Promise<{ readonly file: string; readonly offset: number } | undefined>;
  next(): number;
  readonly clock: Clock;
  readonly damageAfterMs: number;
}

/**
 * Reads the tip until it shows no gap. A view with attribute caching (NFS, bindfs) can show a
 * batch written through another mount as short, or not yet there, while a later one is listed:
 * damage (the gap's E_LOG_CORRUPT, thrown) only if it stays so for `damageAfterMs`, well past the
 * view's cache time.
 */
export async function settleTip(logDir: string, t: TipReader): Promise<void> {
  // The tail first: it moves `next` on.
  const look = async (): Promise<DarkroomError | undefined> => {
    const torn = await t.readTail();
    return gapDamage(logDir, t.next(), torn);
  };
  let gap = await look();
  const deadline = t.clock.now() + t.damageAfterMs;
  while (gap !== undefined && t.clock.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    gap = await look();
  }
  if (gap !== undefined) throw gap;
}
