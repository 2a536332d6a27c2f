// Worker thread that writes one snapshot of the projections (snapshot-thread.ts starts it): it
// opens the log on the shared drive itself (newest matching snapshot plus the tail), folds it and
// encodes and writes the snapshot with the log's own functions (EventLog.writeSnapshot →
// snapshot-codec / snapshot-store), so none of that work runs on the instance's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { EventLog } from '../events/event-log.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';

export interface SnapshotWorkerData {
  readonly sharedDir: string;
}

export type SnapshotWorkerMessage =
  | { readonly kind: 'done'; readonly file: string | undefined; readonly seq: number }
  | { readonly kind: 'error'; readonly message: string };

const port = parentPort!;
const data = workerData as SnapshotWorkerData;

async function run(): Promise<SnapshotWorkerMessage> {
  const log = await EventLog.open<ProjectionState>({
    sharedDir: data.sharedDir,
    writer: { by: 'snapshot', inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
    // Fold in this (worker) thread; no second worker for the replay.
    replayWorkerMinSegments: Infinity,
  });
  try {
    const file = await log.writeSnapshot();
    return { kind: 'done', file, seq: log.seq };
  } finally {
    await log.stop();
  }
}

run().then(
  (m) => port.postMessage(m),
  (err: unknown) =>
    port.postMessage({
      kind: 'error',
      message: err instanceof Error ? err.message : String(err),
    } satisfies SnapshotWorkerMessage),
);
