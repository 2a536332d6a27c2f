// bench/log: prints the event log's throughput and start-up figures on this machine
// (npm run bench:log). Goals (issue 2): >= 20,000 ev/s one writer with group commit,
// >= 5,000 ev/s with 4 processes, replay of 1M events <= 10 s, start from a snapshot <= 1 s;
// issue 20: replay of 1M events with the real projections <= 4 s and <= 1.6x the reference
// (JSON.parse + SHA-256 chain of the same lines in one thread) measured before and after it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsyncDir } from '../../src/events/batch-file.js';
import { generateLog } from '../common/large-log.js';
import { initLog } from '../../src/events/log-init.js';
import { EventLog } from '../../src/events/event-log.js';
import type { Projector } from '../../src/events/projector.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import { note, testProjector } from '../../test/events/test-projector.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const line = (label: string, value: string, goal = ''): void => {
  console.log(`${label.padEnd(52)} ${value.padStart(16)}  ${goal}`);
};

/** A fresh drive with an empty log (only `log init` creates one; EventLog.open requires it). */
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-bench-'));
  await initLog(dir);
  return dir;
}

/** One durable batch: exclusive create, write, fsync file and folder, read back. */
async function machineBatchMs(): Promise<number> {
  const dir = await temp();
  const buf = Buffer.from(`${'x'.repeat(300)}\n`);
  const n = 300;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const f = join(dir, `f${i}`);
    const fh = await open(f, 'wx');
    await fh.write(buf);
    await fh.sync();
    await fh.close();
    await fsyncDir(dir);
    await readFile(f);
  }
  const ms = (performance.now() - t) / n;
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function oneWriter(
  groupCommit: boolean,
  events: number,
  lanes: number,
): Promise<{ evs: number; batches: number }> {
  const dir = await temp();
  const log = await EventLog.open({
    sharedDir: dir,
    writer: { by: 'bench', inc: 0 },
    projector: testProjector,
    groupCommit,
    snapshotEvery: 0,
  });
  let batches = 0;
  log.onApplied(() => batches++);
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < events) await log.append([note('bench', String(next++))]);
    }),
  );
  const s = (performance.now() - t) / 1000;
  await log.stop();
  await rm(dir, { recursive: true, force: true });
  return { evs: events / s, batches };
}

async function fourProcesses(perWriter: number, inFlight: number): Promise<number> {
  const dir = await temp();
  const goFile = join(dir, 'go');
  const runs = ['w1', 'w2', 'w3', 'w4'].map((author) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/fixtures/log-writer-notes.ts',
        JSON.stringify({ sharedDir: dir, author, count: perWriter, inFlight, goFile }),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const ready = new Promise<void>((resolve) => {
      const check = (): void => {
        if (out.includes('READY')) resolve();
      };
      child.stdout.on('data', check);
    });
    const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
    return { ready, done };
  });
  await Promise.all(runs.map((r) => r.ready));
  await writeFile(goFile, '');
  const outs = await Promise.all(runs.map((r) => r.done));
  const times = outs
    .map((o) => /TIME (\d+) (\d+)/.exec(o)!)
    .map((m) => [Number(m[1]), Number(m[2])] as const);
  const span = (Math.max(...times.map((t) => t[1])) - Math.min(...times.map((t) => t[0]))) / 1000;
  await rm(dir, { recursive: true, force: true });
  return (4 * perWriter) / span;
}

/** Reference: JSON.parse and the sha256 chain over every line of the segments, nothing else. */
async function parseAndHash(dir: string): Promise<number> {
  const segDir = join(dir, 'log', 'segments');
  let prev = '';
  let n = 0;
  for (const name of (await readdir(segDir)).sort()) {
    const lines = (await readFile(join(segDir, name), 'utf8')).split('\n');
    lines.pop();
    lines.pop();
    for (const l of lines) {
      JSON.parse(l);
      prev = createHash('sha256').update(prev).update(l).digest('hex');
      n++;
    }
  }
  return n;
}

/** EventLog.open timed in a fresh process: a start-up, without the heap of earlier runs. */
async function openInFreshProcess(dir: string, which: 'test' | 'darkroom'): Promise<number> {
  // BENCH_LOG_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the start-ups.
  const extra = (process.env['BENCH_LOG_CHILD_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [...extra, '--import', 'tsx', 'bench/log/open-timed.ts', dir, which],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((resolve) => child.on('exit', resolve));
  return (JSON.parse(out) as { ms: number }).ms;
}

async function openTimed<S>(
  dir: string,
  projector: Projector<S>,
): Promise<{ ms: number; cpu: string; log: EventLog<S> }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const log = await EventLog.open({
    sharedDir: dir,
    writer: { by: 'bench', inc: 0 },
    projector,
    snapshotEvery: 0,
  });
  const ms = performance.now() - t;
  const used = process.cpuUsage(c);
  return { ms, cpu: `cpu ${((used.user + used.system) / 1e6).toFixed(2)} s`, log };
}

console.log(`darkroom bench/log — Node ${process.version}, ${new Date().toISOString()}`);
line(
  'reference: one durable batch (wx+write+fsync+dir fsync+read)',
  `${(await machineBatchMs()).toFixed(3)} ms`,
);

/** BENCH_LOG_ONLY=writes|replay runs one half (the default runs both); BENCH_LOG_TOTAL=n replays n events, BENCH_LOG_KEEP=1 keeps the generated log (for profiling). */
const only = process.env['BENCH_LOG_ONLY'];
if (only !== 'replay') {
  const g = await oneWriter(true, 40_000, 256);
  line(
    'one writer, group commit on (256 appends in flight)',
    `${fmt(g.evs)} ev/s`,
    `goal >= 20,000 (${fmt(g.batches)} batches)`,
  );
  const g1 = await oneWriter(true, 1_000, 1);
  line('one writer, group commit on, 1 append in flight', `${fmt(g1.evs)} ev/s`);
  const ng = await oneWriter(false, 1_000, 256);
  line('one writer, group commit off (one batch per append)', `${fmt(ng.evs)} ev/s`);
  // 64 in flight in each of 4 processes: 256 in the cluster, as in the one-writer figure above.
  line(
    '4 competing processes, 5,000 events each (64 in flight)',
    `${fmt(await fourProcesses(5_000, 64))} ev/s`,
    'goal >= 5,000 (256 in flight in all, as one writer)',
  );
  line(
    '4 competing processes, 5,000 events each (16 in flight)',
    `${fmt(await fourProcesses(5_000, 16))} ev/s`,
  );
  line('4 competing processes, 500 events each (1 in flight)', `${fmt(await fourProcesses(500, 1))} ev/s`);
}
if (only !== 'writes') {
  const TOTAL = Number(process.env['BENCH_LOG_TOTAL'] ?? 1_000_000);
  const dir = await temp();
  let t = performance.now();
  await generateLog(dir, TOTAL);
  line('generate 1M-event log (segments of 10,000)', `${((performance.now() - t) / 1000).toFixed(2)} s`);
  t = performance.now();
  await parseAndHash(dir);
  const refS = (performance.now() - t) / 1000;
  line(
    'reference: JSON.parse + sha256 chain of 1M lines',
    `${refS.toFixed(2)} s`,
    `(~2.3 s on an idle machine: load factor ${(refS / 2.3).toFixed(1)})`,
  );

  const bare = await openTimed(dir, testProjector);
  line(
    'replay 1M events: read, validate, chain (test projector)',
    `${(bare.ms / 1000).toFixed(2)} s`,
    `(${bare.cpu})`,
  );
  await bare.log.writeSnapshot();
  await bare.log.stop();
  line(
    'start from a snapshot at seq 1M, fresh process (test projector)',
    `${((await openInFreshProcess(dir, 'test')) / 1000).toFixed(3)} s`,
    '(the log side of a start)',
  );
  await rm(join(dir, 'snapshots'), { recursive: true, force: true });
  const elu = performance.eventLoopUtilization();
  const full = await openTimed(dir, darkroomProjector);
  const busy = performance.eventLoopUtilization(elu).active / 1000;
  // The floor again right after: the two bracket the replay when the machine's load drifts.
  t = performance.now();
  await parseAndHash(dir);
  const refAfterS = (performance.now() - t) / 1000;
  const floorS = (refS + refAfterS) / 2;
  const replayS = full.ms / 1000;
  line(
    'replay 1M events with darkroomProjector (no snapshot)',
    `${replayS.toFixed(2)} s`,
    `goal <= 4 s ${replayS <= 4 ? '✔' : '✘'} (${full.cpu}; main thread busy ${busy.toFixed(2)} s)`,
  );
  line(
    '  reference again after it; replay / mean reference',
    `${refAfterS.toFixed(2)} s`,
    `${(replayS / floorS).toFixed(2)}x, goal <= 1.6x ${replayS / floorS <= 1.6 ? '✔' : '✘'}`,
  );
  t = performance.now();
  const snap = await full.log.writeSnapshot();
  line(`write snapshot at seq ${full.log.seq}`, `${((performance.now() - t) / 1000).toFixed(2)} s`);
  for (let i = 0; i < 10; i++)
    await full.log.append(Array.from({ length: 100 }, (_, k) => note('bench', `tail ${i * 100 + k}`)));
  await full.log.stop();
  line(
    `start from the snapshot at seq ${TOTAL} + 1,000-event tail, fresh process`,
    `${((await openInFreshProcess(dir, 'darkroom')) / 1000).toFixed(2)} s`,
    `goal <= 1 s (${snap ?? 'no snapshot'})`,
  );
  if (process.env['BENCH_LOG_KEEP'] === '1') console.log(`kept the generated log in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
