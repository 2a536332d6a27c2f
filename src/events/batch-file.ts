// Batch and segment files of the log: their names, writing one batch, reading a file whole,
// and moving a torn batch aside.
//
// Files touched: <shared>/log/bNNNNNNNNNNNN.jsonl (one batch, named by its first seq),
// <shared>/log/segments/sFIRST-LAST.jsonl, <shared>/log/torn/ (torn batches moved aside).
// Atomic operation: open(name, 'wx') — exclusive create: the file server gives a seq to exactly
// one writer; a writer with a stale view gets EEXIST. Moving aside is a rename (never an edit).
// Invariant relying on it: no acknowledged batch is ever overwritten; a seq belongs to the one
// batch file that won the create (or to the segment that later packed it).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../errors/darkroom-error.js';
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
 * E_LOG_NOT_ACKNOWLEDGED when the read-back differs.
 */
export async function writeBatchFile(logDir: string, bytes: Buffer, first: number): Promise<string> {
  const name = batchName(first);
  const path = join(logDir, name);
  crashAt('before-create');
  const fh = await open(path, 'wx');
  try {
    let done = 0;
    if (crashArmed('mid-write')) {
      done = (await fh.write(bytes, 0, Math.max(1, Math.floor(bytes.length / 2)))).bytesWritten;
      crashAt('mid-write');
    }
    while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
    crashAt('before-fsync');
    await fh.sync();
  } finally {
    await fh.close();
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

/** A log file split into lines: records, and the trailer when the file is complete. */
export interface RawLogFile {
  readonly name: string;
  readonly lines: readonly string[];
  readonly trailer: Trailer | undefined;
  readonly bytes: number;
}

/** Reads a batch or segment whole (open afresh: on NFS that revalidates cached data). */
export async function readRawLogFile(logDir: string, name: string): Promise<RawLogFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(logDir, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return splitLogText(name, text);
}

export function splitLogText(name: string, text: string): RawLogFile {
  const bytes = Buffer.byteLength(text);
  if (!text.endsWith('\n')) {
    const lines = text.length === 0 ? [] : text.split('\n').slice(0, -1);
    return { name, lines, trailer: undefined, bytes };
  }
  const lines = text.split('\n');
  lines.pop();
  const last = lines[lines.length - 1];
  const trailer = last === undefined ? undefined : parseTrailer(last);
  if (trailer !== undefined) lines.pop();
  return { name, lines, trailer, bytes };
}

/** Renames a torn batch into log/torn/ under a fresh name; returns that name relative to log/. */
export async function moveAside(logDir: string, name: string): Promise<string> {
  await mkdir(join(logDir, TORN_DIR), { recursive: true });
  const movedTo = `${TORN_DIR}/${name}.${randomBytes(4).toString('hex')}`;
  await rename(join(logDir, name), join(logDir, movedTo));
  await fsyncDir(logDir);
  return movedTo;
}
