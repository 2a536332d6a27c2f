// The torn batch at the tip of the log: when the writer holding the append lock may call it torn,
// and moving it aside (renamed whole into log/torn/, recorded by a BatchRepaired event).
//
// Files touched: <shared>/log/bNNNNNNNNNNNN.jsonl → <shared>/log/torn/<name>.<random>.
// Atomic operation: rename (moveAside), only by the append lock's holder.
// Invariant relying on it: a batch is moved aside only when it is a stopped write's remains at the
// tip (no later file exists); a batch that was ever complete is never moved.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { moveAside } from './batch-file.js';
import type { DarkroomEvent } from './event-types.js';
import { gapDamage } from './log-cursor.js';

export interface TornBatch {
  readonly file: string;
  /** Complete record lines it holds. */
  readonly lines: number;
  /** Byte offset where its unfinished part starts. */
  readonly offset: number;
}

/** How long a torn batch (by name, size and lines) has looked the same to this writer. */
export class TornWatch {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  settled(torn: TornBatch, settleMs: number): boolean {
    const key = `${torn.file}@${torn.offset}/${torn.lines}`;
    const now = this.clock.now();
    for (const k of this.seen.keys()) if (k !== key) this.seen.delete(k);
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, now);
    return first !== undefined && now - first >= settleMs;
  }

  clear(): void {
    this.seen.clear();
  }
}

/**
 * Moves a torn batch at the tip aside (the caller holds the lock: its writer is gone) and returns
 * the BatchRepaired event to write first in the next batch. Throws the damage (E_LOG_CORRUPT) when
 * a later file exists: then the batch was complete once, and it is never moved.
 */
export async function moveTornAside(
  logDir: string,
  next: number,
  torn: TornBatch,
  logger: Logger,
): Promise<DarkroomEvent> {
  const gap = await gapDamage(logDir, next, torn);
  if (gap !== undefined) throw gap;
  const movedTo = await moveAside(logDir, torn.file);
  logger.warn({ file: torn.file, movedTo, seq: next }, 'torn batch moved aside');
  return {
    type: 'BatchRepaired',
    data: {
      file: torn.file,
      movedTo,
      reason: 'no valid trailer and its writer is gone (the next writer holds the append lock)',
      records: torn.lines,
    },
  };
}
