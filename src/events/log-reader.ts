// Standalone readers of the log for tools and audits: records in a seq range, and a full
// verification (contiguity, hash chain, schemas, terms, one CoordinatorElected per term).
import { join } from 'node:path';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { readRawLogFile, type TrailingBytes } from './batch-file.js';
import { LogCursor, gapDamage, type ReadEntry } from './log-cursor.js';
import { requireLog } from './log-init.js';
import type { LogRecord } from './log-record.js';

export interface ReadOptions {
  readonly from?: number;
  readonly to?: number;
}

/**
 * Records from `from` (default 1) to `to` (default: the tip), with the file and line each came
 * from. Stops at an incomplete batch at the tip (its writer may still be at work). Damage
 * throws, including a later file after the apparent end (a gap).
 */
export async function* readRecords(sharedDir: string, opts: ReadOptions = {}): AsyncIterable<ReadEntry> {
  const from = Math.max(1, opts.from ?? 1);
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  await requireLog(sharedDir);
  const cursor = new LogCursor(join(sharedDir, 'log'), from);
  await cursor.refreshSegments();
  while (cursor.next <= to) {
    const step = await cursor.readNext();
    if (step.kind !== 'records') {
      // The log's apparent end: a later file means damage here, never a shorter log.
      const gap = await gapDamage(
        join(sharedDir, 'log'),
        cursor.next,
        step.kind === 'incomplete' ? step : undefined,
      );
      if (gap !== undefined) throw gap;
      return;
    }
    for (const e of step.entries) {
      if (e.record.seq > to) return;
      yield e;
    }
  }
}

export interface VerifyProgress {
  readonly seq: number;
  readonly file: string;
  readonly bytes: number;
}

/** Bytes after a file's trailer: the file's records are intact and read; the bytes are damage. */
export interface TrailingDamage extends TrailingBytes {
  readonly file: string;
}

export interface VerifyResult {
  /** False on a break (`error`) or on bytes after a trailer (`trailing`). */
  readonly ok: boolean;
  readonly lastSeq: number;
  /** A batch at the tip without a valid trailer (being written, or torn: the next writer repairs it). */
  readonly incomplete?: { readonly file: string; readonly lines: number; readonly offset: number };
  /** Files whose trailer is followed by bytes (in log order): reported, never a reason to tear a batch. */
  readonly trailing?: readonly TrailingDamage[];
  readonly error?: {
    readonly seq: number;
    readonly file: string;
    /** Byte offset in `file` where the damage starts. */
    readonly offset: number;
    readonly line: number;
    readonly detail: string;
    readonly code: string;
  };
}

/** The term rules a record must keep, given the current term: what it breaks, or undefined. */
function electionRule(
  r: LogRecord,
  term: number,
  electedAt: ReadonlyMap<number, number>,
): string | undefined {
  if (r.term > term) {
    return `envelope term ${r.term} is ahead of the current term ${term}: no CoordinatorElected for it`;
  }
  if (r.type !== 'CoordinatorElected') return undefined;
  const t = r.data.term;
  const seen = electedAt.get(t);
  if (seen !== undefined) return `second CoordinatorElected for term ${t} (first at seq ${seen})`;
  if (t <= term) return `CoordinatorElected for term ${t} goes back (current term ${term})`;
  return undefined;
}

/**
 * Reads the whole log and checks every rule a reader relies on. Returns the first break (seq,
 * file, line) rather than throwing; `onProgress` is called after each file.
 */
export async function verifyLog(
  sharedDir: string,
  opts: { onProgress?: (p: VerifyProgress) => void } = {},
): Promise<VerifyResult> {
  await requireLog(sharedDir);
  const cursor = new LogCursor(join(sharedDir, 'log'), 1, '');
  let lastSeq = 0;
  let term = 0;
  let bytes = 0;
  const electedAt = new Map<number, number>();
  const trailing: TrailingDamage[] = [];
  const withTrailing = (r: VerifyResult): VerifyResult =>
    trailing.length === 0 ? r : { ...r, ok: false, trailing };
  try {
    await cursor.refreshSegments();
    for (;;) {
      const step = await cursor.readNext();
      if (step.kind !== 'records') {
        const incomplete = step.kind === 'incomplete' ? step : undefined;
        const gap = await gapDamage(join(sharedDir, 'log'), lastSeq + 1, incomplete);
        if (gap !== undefined) throw gap;
        if (incomplete === undefined) return withTrailing({ ok: true, lastSeq });
        const { file, lines, offset } = incomplete;
        return withTrailing({ ok: true, lastSeq, incomplete: { file, lines, offset } });
      }
      bytes += step.bytes;
      if (step.trailing) trailing.push({ file: step.file, ...step.trailing });
      for (const { record: r, file, line } of step.entries) {
        const broken = electionRule(r, term, electedAt);
        if (broken !== undefined) {
          const raw = await readRawLogFile(join(sharedDir, 'log'), file);
          return withTrailing({
            ok: false,
            lastSeq,
            error: {
              seq: r.seq,
              file,
              offset: raw?.offsetOf(line) ?? -1,
              line,
              detail: broken,
              code: 'E_LOG_CORRUPT',
            },
          });
        }
        if (r.type === 'CoordinatorElected') {
          electedAt.set(r.data.term, r.seq);
          term = r.data.term;
        }
        lastSeq = r.seq;
      }
      opts.onProgress?.({ seq: lastSeq, file: step.file, bytes });
    }
  } catch (err) {
    if (isDarkroomError(err) && err.fields['file'] !== undefined) {
      const f = err.fields;
      return withTrailing({
        ok: false,
        lastSeq,
        error: {
          seq: Number(f['seq']),
          file: String(f['file']),
          offset: f['offset'] === undefined ? -1 : Number(f['offset']),
          line: Number(f['line']),
          detail:
            f['detail'] === undefined
              ? err.message
              : `${f['field'] !== undefined ? `field ${String(f['field'])}: ` : ''}${String(f['detail'])}`,
          code: err.code,
        },
      });
    }
    if (isDarkroomError(err, 'E_LOG_TOO_NEW')) {
      return withTrailing({
        ok: false,
        lastSeq,
        error: {
          seq: Number(err.fields['seq']),
          file: '?',
          offset: -1,
          line: 0,
          detail: err.message,
          code: err.code,
        },
      });
    }
    throw err instanceof DarkroomError
      ? err
      : new DarkroomError(
          'E_LOG_UNREACHABLE',
          { dir: sharedDir, reason: (err as Error).message },
          { cause: err },
        );
  }
}
