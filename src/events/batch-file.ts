// Batch and segment files of the log: their names, writing one batch, reading a file whole,
// and moving a torn batch aside.
//
// Files touched: <shared>/log/bNNNNNNNNNNNN.jsonl (one batch, named by its first seq),
// <shared>/log/segments/sFIRST-LAST.jsonl, <shared>/log/torn/ (torn batches moved aside).
// Atomic operation: open(name, 'wx') — exclusive create: the file server gives a seq to exactly
// one writer; a writer with a stale view gets EEXIST. Moving aside is a rename (never an edit);
// the one unlink is of a writer's own batch that a full drive cut short (never acknowledged).
// Invariant relying on it: no acknowledged batch is ever overwritten; a seq belongs to the one
// batch file that won the create (or to the segment that later packed it).
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarkroomError, isDriveFull } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import { crashArmed, crashAt } from './crash-point.js';
import { parseTrailer, trailerLine, type Trailer } from './record-codec.js';

const DIGITS = 12;
const pad = (n: number): string => String(n).padStart(DIGITS, '0');

export const SEGMENTS_DIR = 'segments';
export const TORN_DIR = 'torn';

export function batchName(first: number): string {
  return `b${pad(first)}.jsonl`;
}

export function segmentName(first: number, last: number): string {
  return `${SEGMENTS_DIR}/s${pad(first)}-${pad(last)}.jsonl`;
}

const BATCH_RE = /^b(\d{12})\.jsonl$/;
const SEGMENT_RE = /^s(\d{12})-(\d{12})\.jsonl$/;

export function parseBatchName(name: string): number | undefined {
  const m = BATCH_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function parseSegmentName(name: string): { first: number; last: number } | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? { first: Number(m[1]), last: Number(m[2]) } : undefined;
}

/** fsync of a folder, so a new name in it survives a crash of the file server's client. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The bytes of a complete batch or segment: record lines, then the trailer. */
export function fileBytes(lines: readonly string[], trailer: Trailer): Buffer {
  return Buffer.from(`${lines.join('\n')}\n${trailerLine(trailer)}\n`);
}

/**
 * Writes one batch file with exclusive create, fsyncs it and its folder, and reads it back by
 * name. Throws the raw EEXIST error when the seq is taken (the caller catches up and retries);
 * E_LOG_NOT_ACKNOWLEDGED when the read-back differs; E_DRIVE_FULL when the drive has no space
 * left (the unfinished file removed again while `stillHeld()`).
 */
export async function writeBatchFile(
  logDir: string,
  bytes: Buffer,
  first: number,
  /** Whether this writer still holds the append lock (the fence): then it may remove its own remains. */
  stillHeld: () => boolean = () => false,
): Promise<string> {
  const name = batchName(first);
  const path = join(logDir, name);
  crashAt('before-create');
  const fh = await open(path, 'wx').catch((err: unknown) => {
    throw isDriveFull(err) ? driveFull(name, err) : err;
  });
  let done = 0;
  try {
    if (crashArmed('mid-write')) {
      done = (await fh.write(bytes, 0, Math.max(1, Math.floor(bytes.length / 2)))).bytesWritten;
      crashAt('mid-write');
    }
    while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
    crashAt('before-fsync');
    await fh.sync();
  } catch (err) {
    // A full drive cut the batch short: its trailer is not there, so no reader can have applied
    // it. The writer, still holding the lock, removes its own remains at once (the same file it
    // created, by inode), so no torn batch waits for the next writer's repair. Once the trailer
    // line is written (all but its line end), the batch may be read complete: it stays.
    if (isDriveFull(err) && done < bytes.length - 1) {
      await removeOwnRemains(fh, path, stillHeld).catch(() => undefined);
      throw driveFull(name, err);
    }
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
  await fsyncDir(logDir);
  crashAt('after-fsync');
  const back = await readFile(path).catch((err: unknown) => {
    throw new DarkroomError(
      'E_LOG_NOT_ACKNOWLEDGED',
      { reason: `batch ${name} could not be read back (${(err as Error).message})` },
      { cause: err },
    );
  });
  if (!back.equals(bytes)) {
    throw new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', {
      reason: `batch ${name} read back differs from what was written (moved aside by another writer?)`,
    });
  }
  return name;
}

function driveFull(name: string, err: unknown): DarkroomError {
  return new DarkroomError(
    'E_DRIVE_FULL',
    { what: `batch ${name} of the log`, reason: (err as Error).message },
    { cause: err },
  );
}

/**
 * Unlinks the batch this writer created and could not finish, only while it holds the append lock
 * and only if the name still is the file it has open (a writer that lost the lock may see its
 * name moved aside and reused by another writer: that file is never touched).
 */
async function removeOwnRemains(fh: FileHandle, path: string, stillHeld: () => boolean): Promise<void> {
  const mine = await fh.stat();
  if (!stillHeld()) return;
  const there = await stat(path);
  if (there.ino !== mine.ino || there.dev !== mine.dev || !stillHeld()) return;
  await unlink(path);
  await fsyncDir(dirname(path));
}

/**
 * Bytes after a complete trailer line (or a trailer whose line end is missing: `bytes` 0 when
 * nothing else follows): damage, never a reason to tear the batch.
 */
export interface TrailingBytes {
  /** Byte offset in the file of the first byte after the trailer line. */
  readonly offset: number;
  readonly bytes: number;
}

/** Says what a file's trailing damage is, for warnings and `log verify`. */
export function describeTrailing(file: string, t: TrailingBytes): string {
  const what =
    t.bytes === 0
      ? 'the line end after its trailer is missing'
      : `${t.bytes} bytes after its trailer are not part of the log`;
  return `${file} byte ${t.offset}: ${what}; its records are intact and in use`;
}

/** Bytes after a trailer: the records stand; warned once per file (`log verify` reports it). */
export class TrailingWarnings {
  readonly #warned = new Set<string>();
  constructor(private readonly logger: Logger) {}

  warn(file: string, trailing: TrailingBytes | undefined): void {
    if (trailing === undefined || this.#warned.has(file)) return;
    this.#warned.add(file);
    this.logger.warn(
      { code: 'E_LOG_CORRUPT', file, offset: trailing.offset, bytes: trailing.bytes },
      `log/${describeTrailing(file, trailing)} (\`darkroom log verify\` reports it)`,
    );
  }
}

/**
 * A log file split into lines. With a trailer: the records before it, and what follows it as
 * `trailing`. Without one: every line ended by a newline, and the rest as `fragment` (a torn
 * write's partial last line, or damage: the cursor tells them apart).
 */
export interface RawLogFile {
  readonly name: string;
  readonly lines: readonly string[];
  readonly trailer: Trailer | undefined;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Without a trailer: the text after the last record line ('' when the file ends with one). */
  readonly fragment: string;
  readonly trailing: TrailingBytes | undefined;
  /** Byte offset of a 1-based line (for damage reports; scans the file, not for the hot path). */
  offsetOf(line: number): number;
}

/** Reads a batch or segment whole (open afresh: on NFS that revalidates cached data). */
export async function readRawLogFile(logDir: string, name: string): Promise<RawLogFile | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(logDir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return splitLogText(name, bytes);
}

/** Every record line starts so (canonical key order: `by` sorts first). */
export const RECORD_START = '{"by":"';
const TRAILER_START = '{"trailer":';
/** The canonical trailer at the start of a line (its text is ASCII: chars are bytes). */
const TRAILER_RE = /^\{"trailer":\{"count":(\d+),"first":(\d+),"last":"([0-9a-f]{64})"\}\}/;

function lineOffset(buf: Buffer, line: number): number {
  let at = 0;
  for (let i = 1; i < line; i++) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return buf.length;
    at = nl + 1;
  }
  return at;
}

/**
 * Splits a file's bytes. The trailer is the first line starting with `{"trailer":` (no record line
 * can: records start with `{"by":"`, and a newline or quote inside a record is escaped), so a
 * complete batch stays complete whatever bytes follow it.
 */
export function splitLogText(name: string, buf: Buffer): RawLogFile {
  // Log lines are nearly always ASCII: then latin1 gives the same string ~5x faster than utf8.
  const text = isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
  const offsetOf = (line: number): number => lineOffset(buf, line);
  const at = text.startsWith(TRAILER_START) ? 0 : text.indexOf(`\n${TRAILER_START}`) + 1;
  if (at > 0 || text.startsWith(TRAILER_START)) {
    const lines = at === 0 ? [] : text.slice(0, at - 1).split('\n');
    const nl = text.indexOf('\n', at);
    const lineText = text.slice(at, nl < 0 ? undefined : nl);
    const m = TRAILER_RE.exec(lineText);
    // Not canonical but still a whole trailer line (written by an older or foreign tool).
    const loose = m === null ? parseTrailer(lineText) : undefined;
    if (m !== null || loose !== undefined) {
      const trailer = m !== null ? { count: Number(m[1]), first: Number(m[2]), last: m[3]! } : loose!;
      const close = offsetOf(lines.length + 1) + (m !== null ? m[0].length : Buffer.byteLength(lineText));
      const end = buf[close] === 0x0a ? close + 1 : close;
      // Bytes after the trailer's line end, or a trailer without its line end (bytes may be 0).
      const trailing =
        end < buf.length || end === close ? { offset: end, bytes: buf.length - end } : undefined;
      return { name, lines, trailer, bytes: buf.length, fragment: '', trailing, offsetOf };
    }
    // A line that starts like a trailer but is none: a torn write of the trailer, or damage.
    return {
      name,
      lines,
      trailer: undefined,
      bytes: buf.length,
      fragment: text.slice(at),
      trailing: undefined,
      offsetOf,
    };
  }
  const cut = text.lastIndexOf('\n') + 1;
  const lines = cut === 0 ? [] : text.slice(0, cut - 1).split('\n');
  return {
    name,
    lines,
    trailer: undefined,
    bytes: buf.length,
    fragment: text.slice(cut),
    trailing: undefined,
    offsetOf,
  };
}

/** Renames a torn batch into log/torn/ under a fresh name; returns that name relative to log/. */
export async function moveAside(logDir: string, name: string): Promise<string> {
  await mkdir(join(logDir, TORN_DIR), { recursive: true });
  const movedTo = `${TORN_DIR}/${name}.${randomBytes(4).toString('hex')}`;
  await rename(join(logDir, name), join(logDir, movedTo));
  await fsyncDir(logDir);
  return movedTo;
}
