// A long replay split over threads: worker threads check the segments ahead (JSON, envelope, the
// hash chain inside each segment, schema, trailer: replay-worker.ts), each a share of them, and
// hand over each segment's records packed in slices (JSON arrays of the lines, one transferred
// buffer); the main thread joins the chain between segments (the only sequential part of the
// check), then parses a slice at a time and folds it into the projections. On this 2-core machine
// checking and folding run side by side.
//
// Files touched: none written; reads log/segments/ by name.
// Invariant: records reach the caller in log order, segment by segment, exactly as LogCursor
// returns them; a segment a worker could not vouch for, or whose first record does not chain to
// the one before, is read again by this thread's own LogCursor, so damage stops the replay with
// the same error (code, file, byte offset, line, seq) as a replay in one thread.
import { Worker } from 'node:worker_threads';
import type { TrailingBytes } from './batch-file.js';
import { LogCursor, listSegments } from './log-cursor.js';
import type { LogRecord } from './log-record.js';
import type { PackedSlices, PlannedSegment, ReplayMessage, ReplayWorkerData } from './replay-worker.js';

export interface ReplayFile {
  readonly file: string;
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly trailing?: TrailingBytes;
  /**
   * The file's records in log order, a slice at a time, each slice made when it is reached (so
   * its records die young instead of being promoted while a whole segment waits).
   */
  slices(): Iterable<readonly LogRecord[]>;
}

/** Records per slice of a segment this thread read itself (already parsed by its cursor). */
const HERE_SLICE = 1_000;

/**
 * The records of a segment a worker checked: one JSON.parse per slice of its lines. The worker
 * checked every line exactly as decodeLine does (chain, envelope, schema), so nothing is checked
 * again here.
 */
function* parseSlices(p: PackedSlices): Generator<LogRecord[]> {
  const bytes = Buffer.from(p.bytes);
  const encoding = p.ascii ? 'latin1' : 'utf8';
  for (let k = 0; k < p.bounds.length; k += 2) {
    yield JSON.parse(`[${bytes.toString(encoding, p.bounds[k], p.bounds[k + 1])}]`) as LogRecord[];
  }
}

/** Worker threads checking segments by default: one per core of this machine (2). */
export const DEFAULT_REPLAY_WORKERS = 2;

/**
 * Starts a worker: the compiled .js directly, or from the .ts sources (bin/darkroom.js, tests)
 * through a tiny bootstrap that registers tsx in the worker first (Node 20 does not apply an
 * `--import`ed loader to a worker's own entry file).
 */
function startWorker(data: ReplayWorkerData, entry?: URL): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = entry ?? new URL(`./replay-worker${ts ? '.ts' : '.js'}`, import.meta.url);
  if (!ts) return new Worker(url, { workerData: data });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

/**
 * The worker itself failed (could not start, crashed, exited early) — not the log. The caller
 * goes on reading in its own thread from where the delivered files ended.
 */
export class ReplayWorkerFault extends Error {
  override readonly name = 'ReplayWorkerFault';
}

/**
 * The segments a LogCursor at `next` (the first seq of a file) would read one after the other:
 * each time the covering segment with the greatest first seq, as long as it starts exactly at
 * `next`. What follows (batches, a segment overlapping the last one) is left to the cursor.
 */
export function planSegments(segments: readonly PlannedSegment[], next: number): PlannedSegment[] {
  const plan: PlannedSegment[] = [];
  for (;;) {
    let best: PlannedSegment | undefined;
    for (const s of segments) {
      if (s.first <= next && next <= s.last && (best === undefined || s.first > best.first)) best = s;
    }
    if (best === undefined || best.first !== next) return plan;
    plan.push(best);
    next = best.last + 1;
  }
}

/** One worker and the messages it sent that were not taken yet. */
class Checker {
  readonly inbox: (ReplayMessage | Error)[] = [];
  private notify: (() => void) | undefined;
  readonly worker: Worker;

  constructor(data: ReplayWorkerData, entry?: URL) {
    this.worker = startWorker(data, entry);
    this.worker.on('message', (m: ReplayMessage) => this.push(m));
    this.worker.on('error', (err) =>
      this.push(new ReplayWorkerFault(`replay worker failed: ${err.message}`)),
    );
    this.worker.on('exit', (code) =>
      this.push(new ReplayWorkerFault(`replay worker exited (code ${code}) before the end of its segments`)),
    );
  }

  private push(m: ReplayMessage | Error): void {
    this.inbox.push(m);
    this.notify?.();
  }

  /** The next message, in the order the worker sent them; throws its failure. */
  async take(): Promise<ReplayMessage> {
    while (this.inbox.length === 0) await new Promise<void>((r) => (this.notify = r));
    this.notify = undefined;
    const m = this.inbox.shift()!;
    if (m instanceof Error) throw m;
    this.worker.postMessage('more');
    return m;
  }
}

/** Reads one segment in this thread, as a plain replay does: its records, or the damage it holds. */
async function readHere(logDir: string, next: number, prev: string): Promise<ReplayFile> {
  const cursor = new LogCursor(logDir, next, prev, { aligned: true });
  await cursor.refreshSegments();
  const step = await cursor.readNext();
  if (step.kind !== 'records') throw new ReplayWorkerFault(`seq ${next}: the segment is gone`);
  const records = step.entries.map((e) => e.record);
  const last = records[records.length - 1]!;
  return {
    file: step.file,
    lastSeq: last.seq,
    lastHash: last.hash,
    ...(step.trailing ? { trailing: step.trailing } : {}),
    *slices() {
      for (let at = 0; at < records.length; at += HERE_SLICE) yield records.slice(at, at + HERE_SLICE);
    },
  };
}

/**
 * Reads the segments from `next` (the first seq of a file; `prev` is the hash of seq next-1),
 * checked by `workers` worker threads, each at most `window` segments ahead, and yields each
 * segment's verified records in log order. Ends where no segment starts at the next seq (the
 * caller's own cursor reads the batches after it). Throws the damage a plain read names.
 */
export async function* replayFiles(
  logDir: string,
  next: number,
  prev: string,
  window = 4,
  /** Another worker entry (tests). */
  entry?: URL,
  workers = DEFAULT_REPLAY_WORKERS,
  /** Bytes of lines per slice (replay-worker.ts SLICE_BYTES by default; tests make it small). */
  sliceBytes?: number,
): AsyncGenerator<ReplayFile, { next: number }> {
  const plan = planSegments(await listSegments(logDir), next);
  const count = Math.max(1, Math.min(workers, plan.length));
  const checkers: Checker[] = [];
  try {
    for (let w = 0; w < count && w < plan.length; w++) {
      const segments = plan.filter((_, i) => i % count === w);
      const data: ReplayWorkerData = {
        logDir,
        segments,
        window: Math.max(1, Math.ceil(window / count)),
        ...(sliceBytes === undefined ? {} : { sliceBytes }),
      };
      checkers.push(new Checker(data, entry));
    }
    for (let i = 0; i < plan.length; i++) {
      const seg = plan[i]!;
      const m = await checkers[i % count]!.take();
      let file: ReplayFile;
      if (m.kind === 'checked' && m.firstPrev === prev) {
        const packed = m.slices;
        file = {
          file: seg.name,
          lastSeq: seg.last,
          lastHash: m.lastHash,
          ...(m.trailing ? { trailing: m.trailing } : {}),
          slices: () => parseSlices(packed),
        };
      } else {
        // Not vouched for, or not chained to the record before: read here, as a plain replay.
        file = await readHere(logDir, next, prev);
      }
      yield file;
      next = file.lastSeq + 1;
      prev = file.lastHash;
    }
    return { next };
  } finally {
    await Promise.all(checkers.map((c) => c.worker.terminate()));
  }
}
