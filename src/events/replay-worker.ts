// Worker thread for a long replay (see replay-pipe.ts): checks whole segments on its own — JSON,
// envelope, the hash chain inside the segment, schema, trailer — and hands each segment's records
// to the main thread packed as slices (each a JSON array of whole record lines, in one transferred
// buffer), at most `window` segments ahead of it. It does not know the hash before its first
// segment's first record: it reports that record's `prev`, and the main thread joins the chain.
// Anything it cannot vouch for is reported as not checked; the main thread then reads that
// segment itself (and names the damage exactly as a plain read).
import { isAscii } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { splitLogText, type TrailingBytes } from './batch-file.js';
import { decodeLine } from './record-codec.js';

/** A segment of the replay plan: its name relative to log/, and the seqs its name claims. */
export interface PlannedSegment {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

export interface ReplayWorkerData {
  readonly logDir: string;
  /** This worker's share of the plan, in log order. */
  readonly segments: readonly PlannedSegment[];
  /** Segments sent ahead of the main thread's acknowledgements. */
  readonly window: number;
  /** Bytes of record lines per slice (a slice holds at least one record; default SLICE_BYTES). */
  readonly sliceBytes?: number;
}

/**
 * Bytes of lines per slice by default: the main thread decodes and parses a slice at a time, and a
 * string this small is cheap to make (measured: decoding 3.7 MB segments whole costs ~6 ns a byte,
 * in slices of 16–64 KB 0.3–0.8 ns) and dies young with the records parsed from it.
 */
export const SLICE_BYTES = 32 * 1024;

/**
 * A segment's records as the main thread folds them: the file's own bytes (transferred), cut into
 * slices of whole record lines. Inside a slice each line's newline byte is now a comma, so
 * `[` + slice + `]` is a JSON array of exactly the records JSON.parse makes of its lines one by
 * one (a newline byte never occurs inside a UTF-8 sequence, so each slice decodes to the same
 * text as its part of the whole file).
 */
export interface PackedSlices {
  readonly bytes: ArrayBuffer;
  /** [start, end) byte offsets of each slice in `bytes`, one after the other. */
  readonly bounds: readonly number[];
  /** Every byte is ASCII: then latin1 decodes the same text as utf8, faster. */
  readonly ascii: boolean;
}

/** Messages to the main thread, one per planned segment, in the order of `segments`. */
export type ReplayMessage =
  | {
      readonly kind: 'checked';
      /** The checked record lines, packed for the main thread (the buffer is transferred). */
      readonly slices: PackedSlices;
      /** `prev` of the segment's first record: the main thread compares it with the chain. */
      readonly firstPrev: string;
      readonly lastHash: string;
      /** Bytes after the trailer (the records stand; the main thread warns). */
      readonly trailing?: TrailingBytes;
    }
  /** Not checked here (unreadable, damaged, anything unexpected): the main thread reads it. */
  | { readonly kind: 'unchecked' };

const TRAILER = Buffer.from('{"trailer":');
const NL_TRAILER = Buffer.from('\n{"trailer":');

/** What checkSegment vouches for. */
export interface CheckedSegment {
  readonly firstPrev: string;
  readonly lastHash: string;
  /** The segment's bytes, its record lines packed as slices (changed in place). */
  readonly slices: PackedSlices;
  readonly trailing?: TrailingBytes;
}

/**
 * Checks a segment's bytes as LogCursor does (trailer count, first and last seq; each record
 * decoded and chained to the one before; the last hash against the trailer), except the first
 * record's `prev`, which is returned. Undefined when anything does not hold. The lines are
 * decoded a slice of about `sliceBytes` at a time (a string of a whole 4 MB segment costs ~10x
 * more a byte to make than one of 32 KB), and once checked the slices are packed in `buf`'s own
 * bytes for the main thread (PackedSlices): `buf` is changed.
 */
export function checkSegment(
  seg: PlannedSegment,
  buf: Buffer,
  sliceBytes = SLICE_BYTES,
): CheckedSegment | undefined {
  // The trailer is the first line starting with `{"trailer":` (splitLogText); what it says and
  // what follows it are read by splitLogText itself, from there on.
  const at = buf.subarray(0, TRAILER.length).equals(TRAILER) ? 0 : buf.indexOf(NL_TRAILER) + 1;
  if (at === 0) return undefined;
  const tail = splitLogText(seg.name, buf.subarray(at));
  const t = tail.trailer;
  if (t === undefined) return undefined;
  // Line ends of the records (the last one at at - 1), then slices of whole lines.
  const nl: number[] = [];
  for (let p = buf.indexOf(0x0a); p >= 0 && p < at; p = buf.indexOf(0x0a, p + 1)) nl.push(p);
  const n = nl.length;
  if (n === 0 || t.count !== n || t.first !== seg.first || seg.last !== seg.first + n - 1) return undefined;
  const ascii = isAscii(buf);
  const bounds: number[] = [];
  const lastLines: number[] = [];
  for (let first = 0; first < n;) {
    const start = first === 0 ? 0 : nl[first - 1]! + 1;
    let last = first;
    while (last + 1 < n && nl[last + 1]! - start <= sliceBytes) last++;
    bounds.push(start, nl[last]!);
    lastLines.push(last);
    first = last + 1;
  }
  let prev: string | undefined;
  let firstPrev = '';
  let i = 0;
  try {
    for (let k = 0; k < lastLines.length; k++) {
      const lines = buf.toString(ascii ? 'latin1' : 'utf8', bounds[2 * k], bounds[2 * k + 1]).split('\n');
      for (const line of lines) {
        const r = decodeLine(line, { file: seg.name, line: i + 1 }, { seq: seg.first + i, prev });
        if (i === 0) firstPrev = r.prev;
        prev = r.hash;
        i++;
      }
      if (i !== lastLines[k]! + 1) return undefined;
    }
  } catch {
    return undefined;
  }
  if (prev !== t.last) return undefined;
  // Checked: the newlines inside each slice become commas (the lines' strings are copies).
  for (let k = 0; k < lastLines.length; k++) {
    const end = bounds[2 * k + 1]!;
    for (let j = k === 0 ? 0 : lastLines[k - 1]! + 1; nl[j]! < end; j++) buf[nl[j]!] = 0x2c;
  }
  const trailing = tail.trailing && { offset: at + tail.trailing.offset, bytes: tail.trailing.bytes };
  return {
    firstPrev,
    lastHash: prev,
    slices: { bytes: ownBuffer(buf), bounds, ascii },
    ...(trailing ? { trailing } : {}),
  };
}

/** The bytes of `buf` in an ArrayBuffer of their own, at the same offsets (so it can be transferred whole). */
function ownBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer)
    return buf.buffer;
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return copy;
}

async function run(port: NonNullable<typeof parentPort>, data: ReplayWorkerData): Promise<void> {
  let credit = data.window;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credit += 1;
    wake?.();
  });
  for (const seg of data.segments) {
    while (credit <= 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    credit -= 1;
    const buf = await readFile(join(data.logDir, seg.name)).catch(() => undefined);
    const checked = buf === undefined ? undefined : checkSegment(seg, buf, data.sliceBytes);
    if (buf === undefined || checked === undefined) {
      port.postMessage({ kind: 'unchecked' } satisfies ReplayMessage);
      continue;
    }
    port.postMessage({ kind: 'checked', ...checked } satisfies ReplayMessage, [checked.slices.bytes]);
  }
  // Done: the main thread terminates the worker once it has taken every message.
}

if (parentPort !== null) {
  const port = parentPort;
  // Anything thrown here is the worker's own failure: the 'error' event tells the main thread.
  void run(port, workerData as ReplayWorkerData);
}
