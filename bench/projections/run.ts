// bench/projections: prints how fast the projections fold a realistic log (npx tsx
// bench/projections/run.ts [records] [batch]): record by record vs applyBatch, then snapshot
// encode/decode of the resulting state. Records are generated in chunks like the log's files;
// only the fold is timed. Goals (issue 2): replay 1M events <= 10 s, start from a snapshot <= 1 s.
import { createHash } from 'node:crypto';
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

console.log(
  `darkroom projections bench: ${fmt(total)} records, batches of ${fmt(batch)}, node ${process.version}`,
);
const single = replay(oneByOne);
const singleDigest = digest(single.state);
const rate = (t: Timing): string => `${fmt(total / (t.wallMs / 1000))} rec/s`;
show('apply, record by record', single.time, rate(single.time));
single.state = p.initial();

const batched = replay(applyBatch);
show(`applyBatch, batches of ${fmt(batch)}`, batched.time, rate(batched.time));
const state = batched.state;
if (digest(state) !== singleDigest) throw new Error('applyBatch and record-by-record states differ');
line('same state both ways (snapshot sha256)', 'yes');
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
