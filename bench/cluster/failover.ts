// bench:cluster, failover part, with real processes and default timings (heartbeatMs 1000,
// failureTimeoutMs 4000): coordinator failover (SIGKILL of the coordinator → its successor's
// CoordinatorElected applied here) and worker failover (SIGKILL of an instance holding a job →
// that job's JobStarted by another instance applied here), each repeated; the killed instance is
// started again before the next repetition.
import { join } from 'node:path';
import type { LogRecord } from '../../src/events/log-record.js';
import { putChannel } from './channel.js';
import { benchCluster, stats } from './bench-cluster.js';
import { dropPhotos } from './photos.js';

export interface FailoverFigures {
  readonly coordinatorMs: readonly number[];
  readonly workerMs: readonly number[];
}

export async function failover(reps: number): Promise<FailoverFigures> {
  const c = await benchCluster(['a', 'b', 'c'], { slots: '2' });
  try {
    await putChannel(c.log, 'press');
    for (const id of c.ids) {
      c.start(id);
      await c.running(id);
    }
    const coordinatorMs: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const coord = c.log.state.cluster.coordinator;
      if (coord === undefined) throw new Error('no coordinator');
      const from = c.seen.length;
      c.proc(coord.instanceId).child.kill('SIGKILL');
      const killedAt = performance.now();
      await c.proc(coord.instanceId).exited;
      const elected = await c.when(
        (r) => r.type === 'CoordinatorElected' && r.data.term > coord.term,
        60_000,
        from,
      );
      coordinatorMs.push(elected.at - killedAt);
      c.start(coord.instanceId);
      await c.running(coord.instanceId);
    }

    const input = join(c.shared, 'hotfolders', 'press', 'in');
    const workerMs: number[] = [];
    for (let tries = 0; workerMs.length < reps && tries < 3 * reps; tries++) {
      const coord = c.log.state.cluster.coordinator?.instanceId;
      const victim = c.ids.filter((id) => id !== coord)[tries % 2]!;
      const from = c.seen.length;
      await dropPhotos(input, 8, `w${tries}-`);
      const started = await c.when((r) => r.type === 'JobStarted' && r.by === victim, 60_000, from);
      const jobId = (started.record as LogRecord & { type: 'JobStarted' }).data.jobId;
      c.proc(victim).child.kill('SIGKILL');
      const killedAt = performance.now();
      await c.proc(victim).exited;
      const next = await c.when(
        (r) =>
          (r.type === 'JobStarted' && r.data.jobId === jobId && r.by !== victim) ||
          ((r.type === 'JobCompleted' || r.type === 'JobFailed') &&
            r.data.jobId === jobId &&
            r.by === victim),
        60_000,
        from,
      );
      // The job ended before the kill landed: this try measures nothing.
      if (next.record.type === 'JobStarted') workerMs.push(next.at - killedAt);
      c.start(victim);
      await c.running(victim);
    }
    return { coordinatorMs, workerMs };
  } finally {
    await c.cleanup();
  }
}

export function failoverRows(f: FailoverFigures): (string | number)[][] {
  const co = stats(f.coordinatorMs);
  const wo = stats(f.workerMs);
  return [
    [
      `coordinator failover (SIGKILL → CoordinatorElected), ${f.coordinatorMs.length} runs`,
      co.median,
      co.max,
      '≤ 5,000 max',
    ],
    [
      `worker failover (SIGKILL → its job started elsewhere), ${f.workerMs.length} runs`,
      wo.median,
      wo.max,
      '≤ 5,000 max',
    ],
  ];
}
