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
import {
  SEGMENTS_DIR,
  batchName,
  fileBytes,
  fsyncDir,
  moveAside,
  parseBatchName,
  segmentName,
} from './batch-file.js';
import { LogCursor, listSegments } from './log-cursor.js';
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
  for (;;) {
    const step = await cursor.readNext();
    if (step.kind !== 'records' || !step.file.startsWith('b')) break;
    const lines = step.entries.map((e) => canonical(e.record));
    batches.push({
      first: step.entries[0]!.record.seq,
      lines,
      lastHash: step.entries[step.entries.length - 1]!.record.hash,
      damaged: step.trailing !== undefined,
    });
  }
  const packable = batches.slice(0, Math.max(0, batches.length - keep));
  const total = packable.reduce((n, b) => n + b.lines.length, 0);
  const segments: string[] = [];
  if (packable.length === 0 || total < (opts.minRecords ?? 1))
    return { segments, batchesRemoved: removed, records: 0 };
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
  return { segments, batchesRemoved: removed, records: total };
}
