// bench/projections: prints how fast the projections fold a realistic log (npx tsx
// bench/projections/run.ts [records] [batch]): record by record vs applyBatch (each in a fresh
// process), then snapshot encode/decode of the resulting state. Records are generated in chunks like the log's files;
// only the fold is timed. Goals (issue 2): replay 1M events <= 10 s, start from a snapshot <= 1 s.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { LogRecord } from '../../src/events/log-record.js';
import { darkroomProjector as p } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { Workload } from './workload.js';

const total = Number(process.argv[2] ?? 1_000_000);
const batch = Number(process.argv[3] ?? 1000);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const line = (label: string, value: string, extra = ''): void => {
  console.log(`${label.padEnd(44)} ${value.padStart(12)}  ${extra}`);
};

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timed<T>(fn: () => T): [T, Timing] {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const out = fn();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return [out, { wallMs, cpuMs: (used.user + used.system) / 1000 }];
}

function show(label: string, t: Timing, extra = ''): void {
  line(label, `${fmt(t.wallMs)} ms`, `cpu ${fmt(t.cpuMs)} ms${extra === '' ? '' : `, ${extra}`}`);
}

/** Folds `total` records in chunks of `batch` with `fold`, timing only the fold. */
function replay(fold: (s: ProjectionState, records: readonly LogRecord[]) => ProjectionState): {
  state: ProjectionState;
  time: Timing;
} {
  const workload = new Workload();
  let state = p.initial();
  const time: Timing = { wallMs: 0, cpuMs: 0 };
  for (let done = 0; done < total; done += batch) {
    const records = workload.next(Math.min(batch, total - done));
    const [next, t] = timed(() => fold(state, records));
    state = next;
    time.wallMs += t.wallMs;
    time.cpuMs += t.cpuMs;
  }
  return { state, time };
}

const digest = (s: ProjectionState): string =>
  createHash('sha256')
    .update(JSON.stringify(p.toSnapshot(s)))
    .digest('hex');

function oneByOne(s: ProjectionState, records: readonly LogRecord[]): ProjectionState {
  let next = s;
  for (const r of records) next = p.apply(next, r);
  return next;
}
const applyBatch = (s: ProjectionState, records: readonly LogRecord[]): ProjectionState =>
  p.applyBatch!(s, records);

/** One fold mode in this process: prints its line and the state's snapshot digest. */
function foldOnly(mode: string): void {
  const { state, time } = replay(mode === 'batch' ? applyBatch : oneByOne);
  const label = mode === 'batch' ? `applyBatch, batches of ${fmt(batch)}` : 'apply, record by record';
  const semi = process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))
    ? ' (semi-space 64 MB)'
    : '';
  show(`${label}${semi}`, time, `${fmt(total / (time.wallMs / 1000))} rec/s`);
  console.log(`digest ${digest(state)}`);
}

/** Runs each fold mode in a fresh process (same heap start for each); returns their digests. */
function foldModes(): string[] {
  const digests: string[] = [];
  const runs: [string, string[]][] = [
    ['single', []],
    ['batch', []],
    ['batch', ['--max-semi-space-size=64']],
  ];
  for (const [mode, flags] of runs) {
    const args = [
      ...flags,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      String(total),
      String(batch),
      mode,
    ];
    const out = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for (const l of out.trimEnd().split('\n')) {
      if (l.startsWith('digest ')) digests.push(l.slice('digest '.length));
      else console.log(l);
    }
  }
  return digests;
}

function snapshotFigures(state: ProjectionState): void {
  const { jobs, meta } = state;
  line(
    'state',
    `${fmt(jobs.all.size)} jobs`,
    `${fmt(jobs.open.size)} open, ignored ${fmt(meta.ignored.size)} types`,
  );
  const [snap, encodeT] = timed(() => p.toSnapshot(state));
  show('snapshot encode (toSnapshot)', encodeT);
  const [text, stringifyT] = timed(() => JSON.stringify(snap));
  show('snapshot JSON.stringify', stringifyT, `${fmt(text.length / 1e6)} MB`);
  const [parsed, parseT] = timed(() => JSON.parse(text) as unknown);
  show('snapshot JSON.parse', parseT);
  const [decoded, decodeT] = timed(() => p.fromSnapshot(parsed));
  show('snapshot decode (fromSnapshot)', decodeT);
  const tail = new Workload().next(total + 10_000).slice(total);
  const [, tailT] = timed(() => applyBatch(decoded, tail));
  show('then applyBatch of a 10,000-record tail', tailT);
}

const only = process.argv[4];
if (only !== undefined) {
  foldOnly(only);
} else {
  console.log(
    `darkroom projections bench: ${fmt(total)} records, batches of ${fmt(batch)}, node ${process.version}`,
  );
  const digests = foldModes();
  if (digests.length !== 3 || new Set(digests).size !== 1)
    throw new Error('the fold modes gave different states');
  line('same state every way (snapshot sha256)', 'yes');
  snapshotFigures(replay(applyBatch).state);
}
