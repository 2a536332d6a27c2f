// Worker thread for a long replay (see replay-pipe.ts): reads the log forward from a seq with a
// LogCursor, which checks every record (JSON, envelope, hash chain, schema, trailer), and sends
// each file's verified lines to the main thread, at most `window` files ahead of it. The main
// thread only parses the lines and folds them into its projections.
import { parentPort, workerData } from 'node:worker_threads';
import { isDarkroomError } from '../errors/darkroom-error.js';
import { LogCursor } from './log-cursor.js';

export interface ReplayWorkerData {
  readonly logDir: string;
  readonly next: number;
  readonly prev: string;
  /** Files sent ahead of the main thread's acknowledgements. */
  readonly window: number;
}

/** Messages to the main thread. */
export type ReplayMessage =
  | {
      readonly kind: 'file';
      readonly file: string;
      /** 1-based line of the first of `lines` in `file`. */
      readonly firstLine: number;
      readonly lines: readonly string[];
      readonly lastSeq: number;
      readonly lastHash: string;
      /** Bytes after the file's trailer (damage the main thread warns about). */
      readonly trailing?: { readonly offset: number; readonly bytes: number };
    }
  /** Nothing more to send: the log ends (or a batch at the tip is incomplete) at `next`. */
  | { readonly kind: 'done'; readonly next: number }
  | {
      readonly kind: 'error';
      readonly code?: string;
      readonly fields?: Record<string, unknown>;
      readonly message: string;
    };

const port = parentPort!;
const data = workerData as ReplayWorkerData;
let credit = data.window;
let wake: (() => void) | undefined;
port.on('message', () => {
  credit += 1;
  wake?.();
});

async function run(): Promise<void> {
  const cursor = new LogCursor(data.logDir, data.next, data.prev, { aligned: true, keepLines: true });
  await cursor.refreshSegments();
  for (;;) {
    while (credit <= 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    const step = await cursor.readNext();
    if (step.kind !== 'records') {
      port.postMessage({ kind: 'done', next: cursor.next } satisfies ReplayMessage);
      return;
    }
    const last = step.entries[step.entries.length - 1]!;
    credit -= 1;
    port.postMessage({
      kind: 'file',
      file: step.file,
      firstLine: step.entries[0]!.line,
      lines: step.lines!,
      lastSeq: last.record.seq,
      lastHash: last.record.hash,
      ...(step.trailing ? { trailing: step.trailing } : {}),
    } satisfies ReplayMessage);
  }
}

run().catch((err: unknown) => {
  const msg: ReplayMessage = isDarkroomError(err)
    ? { kind: 'error', code: err.code, fields: { ...err.fields }, message: err.message }
    : { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  port.postMessage(msg);
});
