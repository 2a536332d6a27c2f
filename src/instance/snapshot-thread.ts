// Snapshots off the event loop: a worker thread (snapshot-worker.ts) rebuilds the projections from
// the drive and encodes and writes the snapshot, so a snapshot of a large log never delays this
// instance's heartbeats. Only the coordinator writes snapshots (instance.ts passes it as the log's
// snapshotWriter with snapshotWhen = "acting as coordinator"), so they are written once per
// cluster, not once per instance.
import { Worker } from 'node:worker_threads';
import type { SnapshotWorkerData, SnapshotWorkerMessage } from './snapshot-worker.js';

export interface SnapshotWritten {
  /** The snapshot's file name in snapshots/ (undefined: the log is empty). */
  readonly file: string | undefined;
  /** The seq it covers: the log's end as the worker read it (at or after the caller's seq). */
  readonly seq: number;
}

function startWorker(data: SnapshotWorkerData): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(`./snapshot-worker${ts ? '.ts' : '.js'}`, import.meta.url);
  if (!ts) return new Worker(url, { workerData: data });
  // From the .ts sources (tests, tsx): register tsx inside the worker first (see replay-pipe.ts).
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** Writes a snapshot of the log at `sharedDir` in a worker thread. Touches the shared drive. */
export async function writeSnapshotOffThread(sharedDir: string): Promise<SnapshotWritten> {
  const worker = startWorker({ sharedDir });
  try {
    return await new Promise<SnapshotWritten>((resolve, reject) => {
      worker.once('message', (m: SnapshotWorkerMessage) => {
        if (m.kind === 'done') resolve({ file: m.file, seq: m.seq });
        else reject(new Error(`snapshot worker: ${m.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`snapshot worker exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}
