// bench:cluster: coordinator and worker failover (10 runs each, median and max), follower
// wake-up p50/p95, coordination throughput with a no-op image step (3 and 10 instances), log
// events per job, and the event-loop delay while a snapshot is written — each beside its goal
// and, where there is one, a reference measured in the same run. Real processes on loopback, a
// temp folder as the drive, default timings. BENCH_CLUSTER_REPS (10), BENCH_CLUSTER_JOBS (300),
// BENCH_CLUSTER_EVENTS (snapshot log size, 300,000) make it shorter or longer.
import { printTable } from '../common/table.js';
import { failover, failoverRows } from './failover.js';
import { snapshotDelay } from './snapshot-delay.js';
import { throughput } from './throughput.js';
import { wakeRows, wakeStepRows, wakeUp } from './wakeup.js';

const reps = Number(process.env['BENCH_CLUSTER_REPS'] ?? 10);
const jobs = Number(process.env['BENCH_CLUSTER_JOBS'] ?? 300);
const t0 = performance.now();

const wake = await wakeUp(100);
printTable(
  'follower wake-up (ms; reference: a follower that only polls, logPollMs 1000)',
  ['measure', 'ms', 'reference ms', 'goal'],
  wakeRows(wake),
);
printTable(
  "where the wake-up goes (ms per record of the writer; write: the writer writes the batch; notify: its fsync, the mesh message, this loop; queue: behind this instance's own append or read; read: listing and reading the batch)",
  ['step', 'p50', 'p95', 'mean of the slowest 5 %'],
  wakeStepRows(wake),
);
if (process.env['BENCH_CLUSTER_ONLY'] === 'wakeup') process.exit(0);

const three = await throughput(3, jobs);
const ten = await throughput(10, jobs);
printTable(
  'coordination throughput, image step a no-op (reference: one writer alone, appends/s on the same drive)',
  ['instances', 'jobs', 'jobs/s', 'log events per job', 'reference appends/s', 'goal'],
  [
    [
      String(three.instances),
      three.jobs,
      three.jobsPerS,
      three.eventsPerJob,
      three.appendsPerS,
      '≥ 300 jobs/s',
    ],
    [String(ten.instances), ten.jobs, ten.jobsPerS, ten.eventsPerJob, ten.appendsPerS, ''],
  ],
);
console.log(
  `events per job by type (3 instances): ${JSON.stringify(Object.fromEntries(Object.entries(three.byType).map(([k, v]) => [k, Math.round((v / three.jobs) * 100) / 100])))}`,
);
for (const t of [three, ten]) {
  printTable(
    `where one no-op job's time goes, ${t.instances} instances (medians per job; batches = durable appends)`,
    ['measure', 'value'],
    [
      ['batches per job', Math.round((t.batches / t.jobs) * 100) / 100],
      ...Object.entries(t.batchesBy)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([w, b]) => [`  by ${w}: batches / events per batch`, `${b.batches} / ${b.eventsPerBatch}`]),
      ...Object.entries(t.phasesMs).map(([k, v]) => [`${k} (ms)`, Math.round(v * 10) / 10]),
    ],
  );
}

const f = await failover(reps);
printTable(
  'failover with default timings (heartbeatMs 1000, failureTimeoutMs 4000), ms',
  ['measure', 'median', 'max', 'goal'],
  failoverRows(f),
);

await snapshotDelay();
console.log(`\nbench:cluster took ${Math.round((performance.now() - t0) / 1000)} s`);
