// Worker thread for a long replay (see replay-pipe.ts): checks whole segments on its own — JSON,
// envelope, the hash chain inside the segment, schema, trailer — and hands each segment's bytes
// to the main thread (transferred, not copied), at most `window` segments ahead of it. It does
// not know the hash before its first segment's first record: it reports that record's `prev`,
// and the main thread joins the chain. Anything it cannot vouch for is reported as not checked;
// the main thread then reads that segment itself (and names the damage exactly as a plain read).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { splitLogText } from './batch-file.js';
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
}

/** Messages to the main thread, one per planned segment, in the order of `segments`. */
export type ReplayMessage =
  | {
      readonly kind: 'checked';
      /** The file's bytes, as read and checked. */
      readonly bytes: ArrayBuffer;
      /** `prev` of the segment's first record: the main thread compares it with the chain. */
      readonly firstPrev: string;
      readonly lastHash: string;
    }
  /** Not checked here (unreadable, damaged, anything unexpected): the main thread reads it. */
  | { readonly kind: 'unchecked' };

/**
 * Checks a segment's bytes as LogCursor does (trailer count, first and last seq; each record
 * decoded and chained to the one before; the last hash against the trailer), except the first
 * record's `prev`, which is returned. Undefined when anything does not hold.
 */
export function checkSegment(
  seg: PlannedSegment,
  buf: Buffer,
): { firstPrev: string; lastHash: string } | undefined {
  const raw = splitLogText(seg.name, buf);
  const t = raw.trailer;
  const n = raw.lines.length;
  if (t === undefined || n === 0 || t.count !== n || t.first !== seg.first || seg.last !== seg.first + n - 1)
    return undefined;
  let prev: string | undefined;
  let firstPrev = '';
  try {
    for (let i = 0; i < n; i++) {
      const r = decodeLine(raw.lines[i]!, { file: seg.name, line: i + 1 }, { seq: seg.first + i, prev });
      if (i === 0) firstPrev = r.prev;
      prev = r.hash;
    }
  } catch {
    return undefined;
  }
  return prev === t.last ? { firstPrev, lastHash: prev } : undefined;
}

/** The bytes of `buf` in an ArrayBuffer of their own (so it can be transferred whole). */
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
    const checked = buf === undefined ? undefined : checkSegment(seg, buf);
    if (buf === undefined || checked === undefined) {
      port.postMessage({ kind: 'unchecked' } satisfies ReplayMessage);
      continue;
    }
    const bytes = ownBuffer(buf);
    port.postMessage({ kind: 'checked', bytes, ...checked } satisfies ReplayMessage, [bytes]);
  }
  // Done: the main thread terminates the worker once it has taken every message.
}

if (parentPort !== null) {
  const port = parentPort;
  // Anything thrown here is the worker's own failure: the 'error' event tells the main thread.
  void run(port, workerData as ReplayWorkerData);
}
