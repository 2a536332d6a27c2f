// bench:cluster, follower wake-up: the time from an append by one instance (a real process, the
// coordinator writing JobSubmitted/JobAssigned for a stream of photos) to that record being
// applied on another instance — an Instance running in this process, so its apply time is read
// directly (its log's onApplied), against the record's write time (`ts`, same machine, same
// clock). The other instance reads the new batch when the writer's "the log grew" reaches it on
// the cluster port. Reference from the same run: a plain follower of the same log that only
// polls (logPollMs, default 1000 ms), as every follower did before the mesh.
import { join } from 'node:path';
import { loadConf, resolveSelf } from '../../src/cluster/conf.js';
import { EventLog } from '../../src/events/event-log.js';
import { Instance } from '../../src/instance/instance.js';
import { silentLogger } from '../../src/logger.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { putChannel } from './channel.js';
import { benchCluster, stats } from './bench-cluster.js';
import { dropPhotos } from './photos.js';
import { probeWakeUps, type WakeProbe, type WakeSample } from './wake-probe.js';

export interface WakeFigures {
  readonly meshMs: readonly number[];
  readonly pollMs: readonly number[];
  readonly steps: readonly WakeSample[];
  readonly loop: ReturnType<WakeProbe['loop']>;
}

export async function wakeUp(photos: number): Promise<WakeFigures> {
  process.env['DARKROOM_TEST_NOOP_IMAGE'] = '1';
  const c = await benchCluster(['a', 'z'], { slots: '2' }, { DARKROOM_TEST_NOOP_IMAGE: '1' });
  let z: Instance | undefined;
  let poller: EventLog<ProjectionState> | undefined;
  try {
    await putChannel(c.log, 'press');
    c.start('a');
    await c.running('a');
    const conf = await loadConf(c.conf);
    z = new Instance({ conf, self: resolveSelf(conf, 'z'), logger: silentLogger });
    await z.start();
    const meshMs: number[] = [];
    const pollMs: number[] = [];
    const sample = (into: number[]) => (records: readonly { by: string; ts: string }[]) => {
      const now = Date.now();
      for (const r of records) if (r.by === 'a') into.push(now - Date.parse(r.ts));
    };
    const probe = probeWakeUps(z.log!, 'a');
    z.log!.onApplied((records) => probe.applied(records));
    z.log!.onApplied(sample(meshMs));
    poller = await EventLog.open<ProjectionState>({
      sharedDir: c.shared,
      writer: { by: 'cli:bench-poll', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
      pollMs: conf.logPollMs,
    });
    poller.onApplied(sample(pollMs));
    poller.startFollowing();
    // Photos in small groups, so the appends are spread out instead of one burst.
    const input = join(c.shared, 'hotfolders', 'press', 'in');
    for (let i = 0; i < photos / 10; i++) {
      await dropPhotos(input, 10, `wake${i}-`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const deadline = performance.now() + 120_000;
    const submitted = (): number => c.seen.filter((s) => s.record.type === 'JobSubmitted').length;
    while (submitted() < photos || meshMs.length < photos) {
      if (performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2 * conf.logPollMs));
    probe.stop();
    return { meshMs, pollMs, steps: await probe.samples(c.shared), loop: probe.loop() };
  } finally {
    await poller?.stop();
    await z?.stop({ force: true });
    await c.cleanup();
  }
}

export function wakeRows(f: WakeFigures): (string | number)[][] {
  const m = stats(f.meshMs);
  const p = stats(f.pollMs);
  return [
    [
      `follower wake-up p50 (append → applied on another instance), ${f.meshMs.length} records`,
      m.median,
      p.median,
      '',
    ],
    ['follower wake-up p95', m.p95, p.p95, '≤ 50 p95'],
  ];
}

/** Per step: p50, p95, and the mean over the slowest 5 % of records (where the tail goes). */
export function wakeStepRows(f: WakeFigures): (string | number)[][] {
  const sorted = [...f.steps].sort((a, b) => a.totalMs - b.totalMs);
  const tail = sorted.slice(Math.floor(sorted.length * 0.95));
  const mean = (xs: readonly number[]): number =>
    xs.length === 0 ? 0 : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
  const steps = ['totalMs', 'writeMs', 'notifyMs', 'queueMs', 'readMs'] as const;
  const rows: (string | number)[][] = steps.map((k) => {
    const s = stats(f.steps.map((x) => x[k]));
    return [k.replace('Ms', ''), s.median, s.p95, mean(tail.map((x) => x[k]))];
  });
  const paths = new Map<string, number>();
  for (const x of f.steps) paths.set(x.path, (paths.get(x.path) ?? 0) + 1);
  const tailPaths = new Map<string, number>();
  for (const x of tail) tailPaths.set(x.path, (tailPaths.get(x.path) ?? 0) + 1);
  rows.push([
    'applied by (all / slowest 5 %)',
    JSON.stringify(Object.fromEntries(paths)),
    JSON.stringify(Object.fromEntries(tailPaths)),
    '',
  ]);
  rows.push([
    'event loop here: delay p99 / max; GC count / total / max',
    `${Math.round(f.loop.p99)} / ${Math.round(f.loop.max)}`,
    `${f.loop.gcCount} / ${Math.round(f.loop.gcMs)} / ${Math.round(f.loop.gcMaxMs * 10) / 10}`,
    '',
  ]);
  return rows;
}
