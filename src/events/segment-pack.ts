// Packing: complete batches are copied, in order, into larger immutable segment files, after
// which the batch files go. Readers accept either; a segment is the authority for its seqs.
//
// Files touched: <shared>/log/segments/sFIRST-LAST.jsonl (via a temp file beside it), and the
// packed <shared>/log/bN.jsonl files (removed).
// Atomic operation: link(temp, final) — exclusive: a segment name is made once, whole and
// fsynced, or not at all; two packers never overwrite each other.
// Invariant relying on it: a batch file is removed only after a complete segment covering it
// exists, so every seq stays readable (a reader that finds a batch gone looks for its segment).
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DarkroomError } from '../errors/darkroom-error.js';
import {
  SEGMENTS_DIR,
  batchName,
  describeTrailing,
  fileBytes,
  fsyncDir,
  moveAside,
  parseBatchName,
  readRawLogFile,
  segmentName,
} from './batch-file.js';
import { LogCursor, gapDamage, listSegments } from './log-cursor.js';
import { requireLog } from './log-init.js';
import { canonical } from './record-codec.js';

/**
 * Records per segment by default: small enough that starting from a snapshot (which reads the
 * whole segment holding its seq) stays fast, large enough that 1M events are 100 files.
 */
export const DEFAULT_SEGMENT_RECORDS = 10_000;

export interface PackOptions {
  /** Records per segment at most (default DEFAULT_SEGMENT_RECORDS). */
  readonly maxRecords?: number;
  /** Pack only when at least this many records sit in batch files (default 1). */
  readonly minRecords?: number;
  /** Complete batches at the tip left as they are (default 1). */
  readonly keepBatches?: number;
  /**
   * A batch whose trailer is followed by bytes (its records are intact). `move-aside` (default:
   * `darkroom log pack`, run by an operator told of the damage) packs its records and moves the
   * file to log/torn/. `refuse` (the coordinator's own pack) packs the batches before it, leaves
   * it where it is and throws E_LOG_CORRUPT naming it: a running cluster never clears damage
   * nobody was told of, so `log verify` goes on reporting it until the operator acts.
   */
  readonly trailing?: 'move-aside' | 'refuse';
  /**
   * A batch without a trailer followed by a later file (cut after it was complete) is damage
   * (E_LOG_CORRUPT). Through a caching view a batch just written can look so for a moment: with
   * this set (the coordinator: the views' settle time, doubled), it is judged by a read that
   * begins this long after the later file was seen; still cut then, it is damage, complete, it is
   * packed next time. 0 (default, the CLI): judged at once.
   */
  readonly cutSettleMs?: number;
  /** Ends the wait of `cutSettleMs` (the pack then returns without judging). */
  readonly signal?: AbortSignal;
}

export interface PackResult {
  readonly segments: readonly string[];
  readonly batchesRemoved: number;
  readonly records: number;
}

async function writeSegment(
  logDir: string,
  first: number,
  lines: string[],
  lastHash: string,
): Promise<string> {
  const dir = join(logDir, SEGMENTS_DIR);
  await mkdir(dir, { recursive: true });
  const name = segmentName(first, first + lines.length - 1);
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(fileBytes(lines, { count: lines.length, first, last: lastHash }));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, join(logDir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDir(dir);
  return name;
}

/** The damage a batch without a trailer at `next` is, once judged by a settled read (see `cutSettleMs`). */
async function judgeCut(
  logDir: string,
  next: number,
  step: { readonly file: string; readonly offset: number },
  opts: PackOptions,
): Promise<DarkroomError | undefined> {
  const gap = await gapDamage(logDir, next, step);
  const wait = opts.cutSettleMs ?? 0;
  if (gap === undefined || wait <= 0) return gap;
  try {
    await delay(wait, undefined, { signal: opts.signal });
  } catch {
    return undefined;
  }
  const again = await readRawLogFile(logDir, step.file);
  return again !== undefined && again.trailer === undefined ? gapDamage(logDir, next, step) : undefined;
}

/** Packs complete batches after the last segment into segments, then removes them. Touches the shared drive. */
export async function packLog(sharedDir: string, opts: PackOptions = {}): Promise<PackResult> {
  await requireLog(sharedDir);
  const logDir = join(sharedDir, 'log');
  const maxRecords = opts.maxRecords ?? DEFAULT_SEGMENT_RECORDS;
  const keep = opts.keepBatches ?? 1;
  const segs = await listSegments(logDir);
  let end = 0;
  for (const s of segs) if (s.first <= end + 1 && s.last > end) end = s.last;
  // Leftovers of an earlier pack that stopped before removing its batches.
  let removed = 0;
  for (const n of await readdir(logDir)) {
    const first = parseBatchName(n);
    if (first !== undefined && first <= end) {
      await unlink(join(logDir, n)).catch(() => undefined);
      removed++;
    }
  }
  const cursor = new LogCursor(logDir, end + 1, end === 0 ? '' : undefined);
  await cursor.refreshSegments();
  const batches: { first: number; lines: string[]; lastHash: string; damaged: boolean }[] = [];
  // Damage met on the way: thrown once the batches before it are packed.
  let damage: DarkroomError | undefined;
  for (;;) {
    const step = await cursor.readNext();
    if (step.kind === 'incomplete') {
      damage = await judgeCut(logDir, cursor.next, step, opts);
      break;
    }
    if (step.kind !== 'records' || !step.file.startsWith('b')) break;
    if (step.trailing !== undefined && opts.trailing === 'refuse') {
      // describeTrailing without its "FILE byte N: " (the error names both).
      const said = describeTrailing(step.file, step.trailing);
      const what = said.slice(said.indexOf(': ') + 2);
      damage = new DarkroomError('E_LOG_CORRUPT', {
        file: step.file,
        offset: step.trailing.offset,
        line: step.entries.length + 2,
        seq: step.entries[step.entries.length - 1]!.record.seq,
        detail: `${what}; not packed until the file is restored (or \`darkroom log pack\` moves it to log/torn/)`,
      });
      break;
    }
    const lines = step.entries.map((e) => canonical(e.record));
    batches.push({
      first: step.entries[0]!.record.seq,
      lines,
      lastHash: step.entries[step.entries.length - 1]!.record.hash,
      damaged: step.trailing !== undefined,
    });
  }
  if (opts.signal?.aborted) return { segments: [], batchesRemoved: removed, records: 0 };
  // Batches before a damaged one are packed whole: the damage, not the tip, ends them.
  const packable = damage ? batches : batches.slice(0, Math.max(0, batches.length - keep));
  const total = packable.reduce((n, b) => n + b.lines.length, 0);
  const segments: string[] = [];
  if (packable.length === 0 || total < (opts.minRecords ?? 1)) {
    if (damage) throw damage;
    return { segments, batchesRemoved: removed, records: 0 };
  }
  let chunk: typeof packable = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const first = chunk[0]!.first;
    const lines = chunk.flatMap((b) => b.lines);
    segments.push(await writeSegment(logDir, first, lines, chunk[chunk.length - 1]!.lastHash));
    for (const b of chunk) {
      // Bytes after its trailer: the records are in the segment now; the file is kept for
      // inspection in log/torn/ rather than removed.
      if (b.damaged) await moveAside(logDir, batchName(b.first)).catch(() => undefined);
      else await unlink(join(logDir, batchName(b.first))).catch(() => undefined);
      removed++;
    }
    await fsyncDir(logDir);
    chunk = [];
    count = 0;
  };
  for (const b of packable) {
    if (count > 0 && count + b.lines.length > maxRecords) await flush();
    chunk.push(b);
    count += b.lines.length;
  }
  await flush();
  if (damage) throw damage;
  return { segments, batchesRemoved: removed, records: total };
}
