// bench:cluster, coordination throughput: N real instances with the image step replaced by a
// no-op (DARKROOM_TEST_NOOP_IMAGE=1: the input is published unchanged), a batch of photos dropped
// at once; jobs per second from the first JobSubmitted to the last JobCompleted as applied by a
// follower in this process, and the log events per job in that window (by type). Reference
// from the same run: appends per second of one writer alone on the same drive (one event each),
// the ceiling the log's append lock sets for the whole cluster.
import { join } from 'node:path';
import { putChannel } from './channel.js';
import { benchCluster } from './bench-cluster.js';
import { dropPhotos } from './photos.js';

export interface ThroughputFigures {
  readonly instances: number;
  readonly jobs: number;
  readonly jobsPerS: number;
  readonly eventsPerJob: number;
  readonly byType: Readonly<Record<string, number>>;
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
    return {
      instances,
      jobs,
      jobsPerS: jobs / ((last.at - first.at) / 1000),
      eventsPerJob: window.length / jobs,
      byType,
      appendsPerS,
    };
  } finally {
    await c.cleanup();
  }
}
