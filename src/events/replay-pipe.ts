// A long replay split over two threads: a worker reads and checks the log files (JSON, envelope,
// hash chain, schema, trailers: the same LogCursor as in-process), the main thread parses the
// verified lines and folds them into the projections. On this 2-core machine this takes the
// checking (about half of a replay's CPU) off the thread that folds.
//
// Files touched: none written; the worker reads log/ batches and segments by name.
// Invariant: records reach the caller in log order, file by file, exactly as LogCursor returns
// them; a damaged record stops the replay with the same error (code and fields) as in-process.
import { Worker } from 'node:worker_threads';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { ReplayMessage, ReplayWorkerData } from './replay-worker.js';

export interface ReplayFile {
  readonly file: string;
  readonly firstLine: number;
  readonly lines: readonly string[];
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly trailing?: { readonly offset: number; readonly bytes: number };
}

/**
 * Starts the worker: the compiled .js directly, or from the .ts sources (bin/darkroom.js, tests)
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
 * goes on reading in its own thread from where the worker's files ended.
 */
export class ReplayWorkerFault extends Error {
  override readonly name = 'ReplayWorkerFault';
}

function toError(m: Extract<ReplayMessage, { kind: 'error' }>): Error {
  if (m.code !== undefined) {
    return new DarkroomError(m.code as ErrorCode, (m.fields ?? {}) as Record<string, string | number>);
  }
  return new DarkroomError('E_LOG_UNREACHABLE', { dir: '-', reason: `replay worker: ${m.message}` });
}

/**
 * Reads the log from `next` (the first seq of a file; `prev` is the hash of seq next-1) in a
 * worker thread and yields each file's verified lines. Ends at the log's end or at an incomplete
 * batch (the caller's own cursor handles the tip). Throws what the worker's cursor threw.
 */
export async function* replayFiles(
  logDir: string,
  next: number,
  prev: string,
  window = 4,
  /** Another worker entry (tests). */
  entry?: URL,
): AsyncGenerator<ReplayFile, { next: number }> {
  const worker = startWorker({ logDir, next, prev, window }, entry);
  const inbox: (ReplayMessage | { kind: 'exit'; code: number } | { kind: 'fault'; err: Error })[] = [];
  let notify: (() => void) | undefined;
  const push = (m: (typeof inbox)[number]): void => {
    inbox.push(m);
    notify?.();
  };
  worker.on('message', (m: ReplayMessage) => push(m));
  worker.on('error', (err) => push({ kind: 'fault', err }));
  worker.on('exit', (code) => push({ kind: 'exit', code }));
  try {
    for (;;) {
      while (inbox.length === 0) await new Promise<void>((r) => (notify = r));
      notify = undefined;
      const m = inbox.shift()!;
      switch (m.kind) {
        case 'file':
          yield m;
          worker.postMessage('more');
          break;
        case 'done':
          return { next: m.next };
        case 'error':
          throw toError(m);
        case 'fault':
          throw new ReplayWorkerFault(`replay worker failed: ${m.err.message}`);
        case 'exit':
          throw new ReplayWorkerFault(`replay worker exited (code ${m.code}) before the end of the log`);
      }
    }
  } finally {
    await worker.terminate();
  }
}
