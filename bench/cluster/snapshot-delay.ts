// bench:cluster, snapshot part: the event-loop delay of an instance's thread while a snapshot of a
// large log is written — in a worker thread (what the coordinator does) and, for reference, in
// this thread (what every instance did before). Prints the figures beside the goal: a snapshot
// never delays a heartbeat (delay p99/max well below heartbeatMs, 1000 ms by default).
// BENCH_CLUSTER_EVENTS=n sets the log size (default 300,000).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventLog } from '../../src/events/event-log.js';
import { writeSnapshotOffThread } from '../../src/instance/snapshot-thread.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { generateLog } from '../common/large-log.js';

const total = Number(process.env['BENCH_CLUSTER_EVENTS'] ?? 300_000);
const heartbeatMs = 1000;

async function delayDuring(work: () => Promise<unknown>): Promise<{ ms: number; p99: number; max: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  // A heartbeat-like timer, as the mesh keeps: its lateness is what the peers would see.
  let late = 0;
  let last = performance.now();
  const beat = setInterval(() => {
    const now = performance.now();
    late = Math.max(late, now - last - 50);
    last = now;
  }, 50);
  h.enable();
  const t = performance.now();
  await work();
  const ms = performance.now() - t;
  h.disable();
  clearInterval(beat);
  return { ms, p99: h.percentile(99) / 1e6, max: Math.max(h.max / 1e6, late) };
}

export async function snapshotDelay(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-bench-cluster-'));
  try {
    await generateLog(dir, total);
    const log = await EventLog.open<ProjectionState>({
      sharedDir: dir,
      writer: { by: 'bench', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
    });
    const inThread = await delayDuring(async () => log.writeSnapshot());
    await log.stop();
    const offThread = await delayDuring(async () => writeSnapshotOffThread(dir));
    const row = (label: string, r: { ms: number; p99: number; max: number }) =>
      console.log(
        `${label.padEnd(34)} ${Math.round(r.ms).toString().padStart(7)} ms   loop delay p99 ${r.p99.toFixed(1).padStart(7)} ms   max ${r.max.toFixed(1).padStart(7)} ms`,
      );
    console.log(
      `snapshot of a ${total.toLocaleString('en-US')}-event log (goal: loop delay max << heartbeatMs ${heartbeatMs} ms)`,
    );
    row('in the worker thread (coordinator)', offThread);
    row('in this thread (reference)', inThread);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
