// bench:cluster, coordination throughput: N real instances with the image step replaced by a
// no-op (DARKROOM_TEST_NOOP_IMAGE=1: the input is published unchanged), a batch of photos dropped
// at once; jobs per second from the first JobSubmitted to the last JobCompleted as applied by a
// follower in this process, and the log events per job in that window (by type). Reference
// from the same run: appends per second of one writer alone on the same drive (one event each),
// the ceiling the log's append lock sets for the whole cluster.
import { join } from 'node:path';
import { putChannel } from './channel.js';
import { benchCluster, stats } from './bench-cluster.js';
import { dropPhotos } from './photos.js';

export interface ThroughputFigures {
  readonly instances: number;
  readonly jobs: number;
  readonly jobsPerS: number;
  readonly eventsPerJob: number;
  readonly byType: Readonly<Record<string, number>>;
  /** Batches (durable appends) in the window, and their events on average, per writer. */
  readonly batches: number;
  readonly batchesBy: Readonly<Record<string, { batches: number; eventsPerBatch: number }>>;
  /** Per job, median ms between its events (their `ts`, the writers' clock: one machine). */
  readonly phasesMs: Readonly<Record<string, number>>;
  /** One writer's appends per second on the same drive, OperatorNote each (reference). */
  readonly appendsPerS: number;
}

export async function throughput(instances: number, jobs: number): Promise<ThroughputFigures> {
  const ids = Array.from({ length: instances }, (_, i) => `n${i + 1}`);
  const c = await benchCluster(ids, { slots: '3' }, { DARKROOM_TEST_NOOP_IMAGE: '1' });
  try {
    // Reference first, on the idle drive.
    const n = 100;
    const t = performance.now();
    for (let i = 0; i < n; i++)
      await c.log.append([{ type: 'OperatorNote', data: { author: 'bench', text: `append ${i}` } }]);
    const appendsPerS = n / ((performance.now() - t) / 1000);

    await putChannel(c.log, 'press');
    c.start(ids[0]!);
    await c.running(ids[0]!);
    for (const id of ids.slice(1)) c.start(id);
    for (const id of ids.slice(1)) await c.running(id);
    const from = c.seen.length;
    await dropPhotos(join(c.shared, 'hotfolders', 'press', 'in'), jobs, 'tp');
    const first = await c.when((r) => r.type === 'JobSubmitted', 120_000, from);
    const deadline = performance.now() + 300_000;
    let lastIndex = -1;
    while (lastIndex < 0) {
      let done = 0;
      for (let i = from; i < c.seen.length; i++) {
        if (c.seen[i]!.record.type === 'JobCompleted' && ++done >= jobs) {
          lastIndex = i;
          break;
        }
      }
      if (lastIndex >= 0) break;
      if (performance.now() > deadline)
        throw new Error(`throughput: ${done} of ${jobs} jobs completed in 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const last = c.seen[lastIndex]!;
    const window = c.seen.slice(c.seen.indexOf(first), lastIndex + 1);
    const byType: Record<string, number> = {};
    for (const { record } of window) byType[record.type] = (byType[record.type] ?? 0) + 1;
    const perBatch = new Map<number, { by: string; n: number }>();
    for (const { record, batch } of window) {
      const b = perBatch.get(batch);
      if (b === undefined) perBatch.set(batch, { by: record.by, n: 1 });
      else b.n++;
    }
    const by: Record<string, { batches: number; events: number }> = {};
    for (const { by: w, n } of perBatch.values()) {
      const e = (by[w] ??= { batches: 0, events: 0 });
      e.batches++;
      e.events += n;
    }
    const batchesBy = Object.fromEntries(
      Object.entries(by).map(([w, e]) => [
        w,
        { batches: e.batches, eventsPerBatch: Math.round((e.events / e.batches) * 10) / 10 },
      ]),
    );
    const times = new Map<string, Partial<Record<string, number>>>();
    for (const { record } of window) {
      const id = (record.data as { jobId?: unknown }).jobId;
      if (typeof id !== 'string') continue;
      const t = times.get(id) ?? {};
      t[record.type] ??= Date.parse(record.ts);
      times.set(id, t);
    }
    const steps = ['JobSubmitted', 'JobAssigned', 'JobStarted', 'JobCompleted'];
    const phasesMs: Record<string, number> = {};
    for (let k = 1; k < steps.length; k++) {
      const d: number[] = [];
      for (const t of times.values()) {
        const a = t[steps[k - 1]!];
        const b = t[steps[k]!];
        if (a !== undefined && b !== undefined) d.push(b - a);
      }
      phasesMs[`${steps[k - 1]} → ${steps[k]}`] = stats(d).median;
    }
    // The worker's own file steps (JobCompleted timingsMs, process-job.ts), median per job.
    const fileSteps = new Map<string, number[]>();
    for (const { record } of window) {
      if (record.type !== 'JobCompleted') continue;
      const t = (record.data as { timingsMs?: Record<string, number> }).timingsMs ?? {};
      for (const [k, v] of Object.entries(t)) {
        if (k === 'total') continue;
        const list = fileSteps.get(k) ?? [];
        list.push(v);
        fileSteps.set(k, list);
      }
    }
    for (const [k, v] of fileSteps) phasesMs[`worker ${k}`] = stats(v).median;
    return {
      instances,
      jobs,
      jobsPerS: jobs / ((last.at - first.at) / 1000),
      eventsPerJob: window.length / jobs,
      byType,
      batches: perBatch.size,
      batchesBy,
      phasesMs,
      appendsPerS,
    };
  } finally {
    await c.cleanup();
  }
}
