// End-to-end bench of one `darkroom start` instance: (1) a burst of 2 MP photos dropped at once,
// images/s end to end beside the same pipeline called in a loop in this process (same run, same
// concurrency); (2) single files trickling in: time from "stable" to "output published" minus
// the pipeline's own time. Prints a Markdown table. BENCH_E2E_COUNT / BENCH_E2E_TRICKLE scale it;
// BENCH_E2E_SLOTS sets the instance's slots (default: the product's, CPUs + 1). The baseline is the
// better of the loop at CPUs and at CPUs + 1 at a time, before and after the instance runs.
import './uv-pool.js';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import {
  makeDrive,
  outcomes,
  putChannel,
  startInstance,
  waitFor,
} from '../../test/fixtures/instance-drive.js';
import { freePorts } from '../../test/support/free-ports.js';
import { megapixelJpeg, samplesDir } from '../common/bench-images.js';
import { printTable } from '../common/table.js';

const count = Number(process.env['BENCH_E2E_COUNT'] ?? 500);
const trickle = Number(process.env['BENCH_E2E_TRICKLE'] ?? 20);
const readyDelayMs = 200;
const cpus = availableParallelism();
/** BENCH_E2E_SLOTS: the instance's slots (default: the product's own default, CPUs + 1). */
const instanceSlots = process.env['BENCH_E2E_SLOTS'];

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/** What each timed step of process-job.ts covers. */
const stepNames: Record<string, string> = {
  fileRead: 'reading the input and the markers (at once)',
  fileCheck: 'the attempt check (log catch-up; the summary marker and the temp write run meanwhile)',
  filePublish: 'publishing after the check (rest of the temp write + fdatasync, link, marker)',
  fileOriginal: 'the original (delete) and its marker',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inputs(): Promise<string[]> {
  const photos = ['coffee.png', 'chelsea.png', 'astronaut.png', 'rocket.jpg', 'motorcycle_left.png'];
  const out: string[] = [];
  for (const p of photos) out.push(await megapixelJpeg(2, join(samplesDir, p)));
  return out;
}

/** The pipeline in a loop in this process, `slots` at a time: images/s. */
async function inProcess(files: readonly string[], n: number, slots: number): Promise<number> {
  const settings = parsePipelineSettings({});
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (next < n) {
        const i = next++;
        await runPipeline(files[i % files.length]!, settings, {
          fileName: `b${i}.jpg`,
          stamp: { jobId: `b${i}` },
        });
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const files = await inputs();
  console.log(
    `e2e bench: ${count} photos of 2 MP, ${trickle} trickled, ${cpus} CPUs, instance slots ${instanceSlots ?? `default (${cpus + 1})`}, file-ready delay ${readyDelayMs} ms`,
  );
  // The loop runs before and after the instance; their mean is the baseline (the machine may be shared).
  // Each is the better of CPUs and CPUs + 1 at a time (the instance's default runs CPUs + 1).
  const bestLoop = async (): Promise<number> =>
    Math.max(
      await inProcess(files, Math.min(count, 100), cpus),
      await inProcess(files, Math.min(count, 100), cpus + 1),
    );
  const baselineBefore = await bestLoop();

  // Free loopback ports (cluster, HTTP): other benches or tests may run beside this one.
  const drive = await makeDrive([`bench@127.0.0.1:${(await freePorts(2)).join(':')}`], {
    heartbeatMs: '500',
    failureTimeoutMs: '3000',
    logPollMs: '200',
    hotfolderRescanMs: '1000',
    ...(instanceSlots !== undefined ? { slots: instanceSlots } : {}),
  });
  await putChannel(drive.shared, 'bench', {
    type: 'process',
    fileReadyDelayMs: readyDelayMs,
    originals: 'delete',
  });
  const hot = join(drive.shared, 'hotfolders', 'bench');
  const stage = join(drive.shared, 'stage');
  await mkdir(stage, { recursive: true });
  await mkdir(join(hot, 'in'), { recursive: true });
  for (let i = 0; i < count + trickle; i++)
    await copyFile(files[i % files.length]!, join(stage, `p${String(i).padStart(4, '0')}.jpg`));

  const inst = startInstance(drive.conf, 'bench', { DARKROOM_LOG_LEVEL: 'warn' });
  try {
    await waitFor('instance running', () => inst.output().includes('running (inc'), 60_000, inst.output);

    // (1) the burst
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const n = `p${String(i).padStart(4, '0')}.jpg`;
      await rename(join(stage, n), join(hot, 'in', n));
    }
    const dropMs = performance.now() - t0;
    for (;;) {
      const n = (await readdir(join(hot, 'out')).catch(() => [])).filter((f) => !f.startsWith('.')).length;
      if (n >= count) break;
      await sleep(50);
    }
    const burstS = (performance.now() - t0) / 1000;
    const e2eRate = count / burstS;
    const afterDelay = count / (burstS - readyDelayMs / 1000);

    // (2) trickle: one file at a time, the next once the previous is published
    const totals: number[] = [];
    for (let i = count; i < count + trickle; i++) {
      const n = `p${String(i).padStart(4, '0')}.jpg`;
      const start = performance.now();
      await rename(join(stage, n), join(hot, 'in', n));
      for (;;) {
        const names = await readdir(join(hot, 'out'));
        if (names.includes(n)) break;
        await sleep(2);
      }
      const published = performance.now() - start;
      totals.push(published);
    }
    inst.signal('SIGTERM');
    await inst.exited;
    const baselineAfter = await bestLoop();
    const baseline = (baselineBefore + baselineAfter) / 2;
    const { records } = await outcomes(drive.shared);
    const pipelineMs = new Map<string, number>();
    // The steps of the file work that process-job.ts times itself (JobCompleted.timingsMs).
    const fileSteps = ['fileRead', 'fileCheck', 'filePublish', 'fileOriginal'] as const;
    const fileSums = new Map<string, number>(fileSteps.map((k) => [k, 0]));
    for (const r of records) {
      if (r.type === 'JobCompleted') {
        const t = r.data.timingsMs;
        for (const k of fileSteps) fileSums.set(k, fileSums.get(k)! + (t[k] ?? 0));
        pipelineMs.set(
          r.data.jobId,
          (t['read'] ?? 0) + (t['analysis'] ?? 0) + (t['process'] ?? 0) + (t['previews'] ?? 0),
        );
      }
    }
    // Where the overhead goes, per job, from the log's own timestamps (ms resolution): the file
    // work around the pipeline (read, publish with fsync, original, work folder) between
    // JobStarted and JobCompleted, and the slot's turnaround from JobAssigned to JobStarted.
    const at = (r: { ts: string }): number => Date.parse(r.ts);
    const startedAt = new Map<string, number>();
    const assignedAt = new Map<string, number>();
    let aroundPipeline = 0;
    let turnaround = 0;
    let jobs = 0;
    for (const r of records) {
      if (r.type === 'JobAssigned') assignedAt.set(r.data.jobId, at(r));
      if (r.type === 'JobStarted') {
        startedAt.set(r.data.jobId, at(r));
        turnaround += at(r) - (assignedAt.get(r.data.jobId) ?? at(r));
      }
      if (r.type === 'JobCompleted' && startedAt.has(r.data.jobId)) {
        aroundPipeline += at(r) - startedAt.get(r.data.jobId)! - (pipelineMs.get(r.data.jobId) ?? 0);
        jobs += 1;
      }
    }
    // Most jobs processing at once (JobStarted .. JobCompleted in log order): never above the slots.
    let processing = 0;
    let mostAtOnce = 0;
    for (const r of records) {
      if (r.type === 'JobStarted') mostAtOnce = Math.max(mostAtOnce, ++processing);
      if (
        (r.type === 'JobCompleted' || r.type === 'JobFailed' || r.type === 'JobReleased') &&
        startedAt.has(r.data.jobId)
      )
        processing--;
    }
    const byName = new Map<string, string>();
    for (const r of records) if (r.type === 'JobSubmitted') byName.set(r.data.relPath, r.data.jobId);
    const net: number[] = [];
    for (let k = 0; k < trickle; k++) {
      const n = `p${String(count + k).padStart(4, '0')}.jpg`;
      net.push(totals[k]! - readyDelayMs - (pipelineMs.get(byName.get(n) ?? '') ?? 0));
    }

    printTable(
      `darkroom e2e (${cpus} CPUs, 2 MP JPEG in, same run)`,
      ['measure', 'value', 'goal'],
      [
        [
          'pipeline in a loop in one process, best of CPUs / CPUs + 1 at a time, before / after (images/s)',
          `${baselineBefore.toFixed(2)} / ${baselineAfter.toFixed(2)}`,
          '',
        ],
        [`burst of ${count}, drop to last output (images/s)`, e2eRate.toFixed(2), ''],
        ['burst, minus the file-ready delay (images/s)', afterDelay.toFixed(2), ''],
        ['end-to-end overhead vs the loop (%)', (1 - e2eRate / baseline) * 100, '<= 10 %'],
        [`trickle of ${trickle}: stable -> published minus pipeline, p50 (ms)`, quantile(net, 0.5), ''],
        [
          `trickle of ${trickle}: stable -> published minus pipeline, p95 (ms)`,
          quantile(net, 0.95),
          '<= 100 ms',
        ],
        ['trickle: drop -> published, p50 (ms)', quantile(totals, 0.5), ''],
        [
          'per job: pipeline, mean (ms)',
          [...pipelineMs.values()].reduce((a, b) => a + b, 0) / pipelineMs.size,
          '',
        ],
        ['per job: JobStarted -> JobCompleted minus pipeline, mean (ms)', aroundPipeline / jobs, ''],
        ...fileSteps.map((k) => [`  of which ${stepNames[k]}, mean (ms)`, fileSums.get(k)! / jobs, '']),
        ['per job: JobAssigned -> JobStarted, mean (ms)', turnaround / jobs, ''],
        ['most jobs processing at once (log order)', mostAtOnce, `slots: ${instanceSlots ?? cpus + 1}`],
        [`time to drop the ${count} files (ms, included above)`, dropMs, ''],
      ],
    );
  } finally {
    if (inst.child.exitCode === null) inst.signal('SIGKILL');
    await inst.exited;
    await rm(drive.root, { recursive: true, force: true });
  }
}

await main();
