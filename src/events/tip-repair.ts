// The torn batch at the tip of the log: when the writer holding the append lock may call it torn,
// and moving it aside (renamed whole into log/torn/, recorded by a BatchRepaired event).
//
// Files touched: <shared>/log/bNNNNNNNNNNNN.jsonl → <shared>/log/torn/<name>.<random> (and back,
// with an exclusive link, when what was moved is not what was seen).
// Atomic operation: rename (moveAside), only by the append lock's holder.
// Invariant relying on it: a batch is moved aside only when a read that began at least the view's
// cache time after this writer took the lock still shows it torn at the tip, with no later file —
// i.e. what the previous holder left when it finished or died; a batch that was ever complete is
// never moved. A view with attribute caching (bindfs, NFS without close-to-open, SMB) can show a
// complete batch written through another mount as it was while being written; only the lock tells
// when its writer was done, so the settle time is counted from taking the lock, never from an
// earlier sighting.
import { link, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { DarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { HeldLock } from './append-lock.js';
import { moveAside } from './batch-file.js';
import { crashAt } from './crash-point.js';
import type { DarkroomEvent } from './event-types.js';
import { gapDamage } from './log-cursor.js';
import type { LogRecord } from './log-record.js';

export interface TornBatch {
  readonly file: string;
  /** Complete record lines it holds. */
  readonly lines: number;
  /** Byte offset where its unfinished part starts. */
  readonly offset: number;
}

/** What the lock holder does about a torn-looking tip. */
export type TipOutcome =
  /** The batch is complete after all (the view caught up): read on and write, same lock. */
  | { readonly kind: 'read-on' }
  /** Not decided now: release the lock and try again (the reason is logged once per tip). */
  | { readonly kind: 'retry'; readonly reason: string }
  /** Moved aside: write `event` first in the next batch (after taking the lock afresh). */
  | { readonly kind: 'repaired'; readonly event: DarkroomEvent };

export interface TipHost {
  readonly logDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The next seq to read (the torn batch's first seq while it is torn). */
  next(): number;
  /** Reads on from the cursor, applying complete files; the torn batch at the tip, if any. */
  readTail(): Promise<TornBatch | undefined>;
}

export interface TipTimings {
  /** The longest a view may show a file as it was earlier (its attribute cache time, ms). */
  readonly settleMs: number;
  /** The append lock's stale time (ms): a holder acts within 80 % of it, or not at all. */
  readonly staleMs: number;
  /**
   * How long a torn batch with a later file after it may look so before it is damage
   * (E_LOG_CORRUPT to the appenders): a stale view shows it so for at most `settleMs`.
   */
  readonly damageAfterMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Decides about torn tips for one EventLog handle (remembers since when a tip looked damaged). */
/** The repairs still to write: those `records` (a batch read or written) do not already hold. */
export function withoutWritten(
  pending: readonly DarkroomEvent[],
  records: readonly LogRecord[],
): DarkroomEvent[] {
  const done = new Set(records.flatMap((r) => (r.type === 'BatchRepaired' ? [r.data.movedTo] : [])));
  return pending.filter((e) => e.type !== 'BatchRepaired' || !done.has(e.data.movedTo));
}

export class TipRepair {
  /** Since when (clock ms) the tip has looked torn with a later file after it. */
  private damagedSince: number | undefined;
  private lastReason: string | undefined;

  constructor(
    private readonly host: TipHost,
    private readonly t: TipTimings,
  ) {}

  /** The tip read complete: whatever looked damaged before was a stale view. */
  clear(): void {
    this.damagedSince = undefined;
    this.lastReason = undefined;
  }

  /**
   * Called by the lock holder (lock taken at `acquiredAt`) that found `torn` at the tip. Waits,
   * holding the lock, until a fresh read is possible, reads again, and moves the batch aside only
   * if it still is a stopped write's remains at the tip. Throws the damage (E_LOG_CORRUPT) only
   * once a torn batch with a later file has looked so for `damageAfterMs`.
   */
  async handle(torn: TornBatch, lock: HeldLock, acquiredAt: number): Promise<TipOutcome> {
    const { clock, logDir, logger } = this.host;
    const settleAt = acquiredAt + this.t.settleMs;
    let left = settleAt - clock.now();
    while (left > 0) {
      await sleep(Math.min(200, left));
      if ((await this.host.readTail()) === undefined) return this.readOn();
      left = settleAt - clock.now();
    }
    // This read began after the settle time: it shows what the previous holder left.
    const readAt = clock.now();
    const tip = await this.host.readTail();
    if (tip === undefined) return this.readOn();
    const seen = await readFile(join(logDir, tip.file)).catch(() => undefined);
    if (seen === undefined) return this.retry(`${tip.file} vanished while being read`);
    const gap = await gapDamage(logDir, this.host.next(), tip);
    if (gap !== undefined) return this.laterFile(tip, gap);
    this.damagedSince = undefined;
    const held = clock.now() - acquiredAt;
    if (
      lock.compromised !== undefined ||
      held > this.t.staleMs * 0.8 ||
      clock.now() - readAt > this.t.staleMs / 4
    ) {
      // Paused, stalled or slow since the lock was taken: another writer may hold it by now.
      return this.retry(
        `the append lock was held ${Math.round(held)} ms before ${tip.file} could be repaired`,
      );
    }
    crashAt('before-repair');
    const movedTo = await moveAside(logDir, tip.file);
    if (!(await this.movedWhatWasSeen(tip.file, movedTo, seen))) {
      return this.retry(`${tip.file} changed while being moved aside; put back`);
    }
    logger.warn({ file: tip.file, movedTo, seq: this.host.next() }, 'torn batch moved aside');
    this.lastReason = undefined;
    return {
      kind: 'repaired',
      event: {
        type: 'BatchRepaired',
        data: {
          file: tip.file,
          movedTo,
          reason: 'no valid trailer and its writer is gone (the next writer holds the append lock)',
          records: tip.lines,
        },
      },
    };
  }

  private readOn(): TipOutcome {
    this.clear();
    return { kind: 'read-on' };
  }

  private retry(reason: string): TipOutcome {
    if (reason !== this.lastReason)
      this.host.logger.info({ seq: this.host.next() }, `torn tip not repaired yet: ${reason}`);
    this.lastReason = reason;
    return { kind: 'retry', reason };
  }

  /** A later file exists: the batch was complete once (our view is stale), or it is damage. */
  private laterFile(tip: TornBatch, gap: DarkroomError): TipOutcome {
    const now = this.host.clock.now();
    this.damagedSince ??= now;
    if (now - this.damagedSince >= this.t.damageAfterMs) throw gap;
    this.host.logger.warn(
      { code: 'E_LOG_CORRUPT', file: tip.file, seq: this.host.next() },
      `${tip.file} looks torn but a later file exists: waiting for this view of the drive to settle`,
    );
    return { kind: 'retry', reason: `${tip.file} looks torn with a later file after it` };
  }

  /**
   * The rename may have waited on a stalled drive while another writer repaired the same name and
   * wrote a new batch there: what was moved must be the bytes we judged torn; otherwise it is put
   * back with an exclusive link (never over a file that is there now).
   */
  private async movedWhatWasSeen(file: string, movedTo: string, seen: Buffer): Promise<boolean> {
    const { logDir, logger } = this.host;
    const moved = await readFile(join(logDir, movedTo));
    if (moved.equals(seen)) return true;
    try {
      await link(join(logDir, movedTo), join(logDir, file));
      await unlink(join(logDir, movedTo));
      logger.warn({ file, movedTo }, 'a batch moved aside was not the one judged torn: put back');
    } catch (err) {
      logger.error(
        { err, file, movedTo },
        'a batch moved aside was not the one judged torn and could not be put back',
      );
    }
    return false;
  }
}
