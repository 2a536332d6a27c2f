// Standalone readers of the log for tools and audits: records in a seq range, and a full
// verification (contiguity, hash chain, schemas, terms, one CoordinatorElected per term).
import { join } from 'node:path';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { LogCursor, fileAfter, type ReadEntry } from './log-cursor.js';

export interface ReadOptions {
  readonly from?: number;
  readonly to?: number;
}

/**
 * Records from `from` (default 1) to `to` (default: the tip), with the file and line each came
 * from. Stops at the first incomplete batch (its writer may still be at work). Damage throws.
 */
export async function* readRecords(sharedDir: string, opts: ReadOptions = {}): AsyncIterable<ReadEntry> {
  const from = Math.max(1, opts.from ?? 1);
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  const cursor = new LogCursor(join(sharedDir, 'log'), from);
  await cursor.refreshSegments();
  while (cursor.next <= to) {
    const step = await cursor.readNext();
    if (step.kind !== 'records') return;
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

export interface VerifyResult {
  readonly ok: boolean;
  readonly lastSeq: number;
  /** A batch at the tip without a valid trailer (being written, or torn: the next writer repairs it). */
  readonly incomplete?: { readonly file: string; readonly lines: number };
  readonly error?: {
    readonly seq: number;
    readonly file: string;
    readonly line: number;
    readonly detail: string;
    readonly code: string;
  };
}

/**
 * Reads the whole log and checks every rule a reader relies on. Returns the first break (seq,
 * file, line) rather than throwing; `onProgress` is called after each file.
 */
export async function verifyLog(
  sharedDir: string,
  opts: { onProgress?: (p: VerifyProgress) => void } = {},
): Promise<VerifyResult> {
  const cursor = new LogCursor(join(sharedDir, 'log'), 1, '');
  let lastSeq = 0;
  let term = 0;
  let bytes = 0;
  const electedAt = new Map<number, number>();
  try {
    await cursor.refreshSegments();
    for (;;) {
      const step = await cursor.readNext();
      if (step.kind !== 'records') {
        const after = await fileAfter(join(sharedDir, 'log'), lastSeq + 1);
        if (after !== undefined) {
          const detail = `seq ${lastSeq + 1} is missing or incomplete, but ${after} exists after it`;
          return {
            ok: false,
            lastSeq,
            error: { seq: lastSeq + 1, file: after, line: 0, detail, code: 'E_LOG_CORRUPT' },
          };
        }
        if (step.kind === 'end') return { ok: true, lastSeq };
        return { ok: true, lastSeq, incomplete: { file: step.file, lines: step.lines } };
      }
      bytes += step.bytes;
      for (const { record: r, file, line } of step.entries) {
        const fail = (detail: string): VerifyResult => ({
          ok: false,
          lastSeq,
          error: { seq: r.seq, file, line, detail, code: 'E_LOG_CORRUPT' },
        });
        if (r.term > term) {
          return fail(
            `envelope term ${r.term} is ahead of the current term ${term}: no CoordinatorElected for it`,
          );
        }
        if (r.type === 'CoordinatorElected') {
          const t = r.data.term;
          const seen = electedAt.get(t);
          if (seen !== undefined)
            return fail(`second CoordinatorElected for term ${t} (first at seq ${seen})`);
          if (t <= term) return fail(`CoordinatorElected for term ${t} goes back (current term ${term})`);
          electedAt.set(t, r.seq);
          term = t;
        }
        lastSeq = r.seq;
      }
      opts.onProgress?.({ seq: lastSeq, file: step.file, bytes });
    }
  } catch (err) {
    if (isDarkroomError(err) && err.fields['file'] !== undefined) {
      const f = err.fields;
      return {
        ok: false,
        lastSeq,
        error: {
          seq: Number(f['seq']),
          file: String(f['file']),
          line: Number(f['line']),
          detail: err.message,
          code: err.code,
        },
      };
    }
    if (isDarkroomError(err, 'E_LOG_TOO_NEW')) {
      return {
        ok: false,
        lastSeq,
        error: { seq: Number(err.fields['seq']), file: '?', line: 0, detail: err.message, code: err.code },
      };
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
