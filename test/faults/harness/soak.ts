// The soak: a seeded random mix of faults on a cluster of real instances under a steady load of
// hotfolder drops and channel edits, then heal, wait for quiescence and check every invariant.
// Used by test/faults/soak.test.ts (short) and scripts/soak.ts (`npm run soak -- --seconds N`).
import { logCoordinator } from './log-peek.js';
import { checkRun, type CheckReport, type FaultRecord } from './checkers.js';
import { FaultCluster } from './fault-cluster.js';
import { prng, type Prng } from './prng.js';

export const faultKinds = [
  'kill',
  'kill-coordinator',
  'crash-point',
  'pause-worker',
  'pause-coordinator',
  'pause-lock-holder',
  'stall-drive',
  'stall-coordinator-drive',
  'stall-all-drives',
  'restart-order',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Relative weights: the cheap, high-value faults most often. */
const weights: Record<FaultKind, number> = {
  kill: 4,
  'kill-coordinator': 3,
  'crash-point': 4,
  'pause-worker': 3,
  'pause-coordinator': 3,
  'pause-lock-holder': 2,
  'stall-drive': 2,
  'stall-coordinator-drive': 2,
  'stall-all-drives': 1,
  'restart-order': 1,
};

const crashPoints = ['after-take', 'after-publish', 'mid-write', 'before-fsync', 'after-fsync'] as const;

export interface SoakOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly instances: number;
  /** Only these fault kinds (default: all). */
  readonly kinds?: readonly FaultKind[];
  readonly log?: (line: string) => void;
  /** Keep the temp folder (for a post-mortem) also when the run passes. */
  readonly keep?: boolean;
  /** How long to wait for quiescence after healing (default 180 s). */
  readonly quiesceMs?: number;
}

export interface SoakResult {
  readonly seed: number;
  readonly report: CheckReport;
  readonly faults: Record<string, number>;
  readonly operations: Record<string, number>;
  readonly root: string;
  /** The one-line summary (printed last by scripts/soak.ts). */
  readonly summary: string;
}

const CHANNEL = 'press';
const sleep = async (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pickKind(rng: Prng, kinds: readonly FaultKind[]): FaultKind {
  const total = kinds.reduce((n, k) => n + weights[k], 0);
  let x = rng.next() * total;
  for (const k of kinds) {
    x -= weights[k];
    if (x < 0) return k;
  }
  return kinds[kinds.length - 1]!;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.log ?? ((): void => undefined);
  const rng = prng(o.seed);
  const loadRng = prng(o.seed ^ 0x5eed);
  say(`soak: seed ${o.seed}, ${o.seconds} s, ${o.instances} instances`);
  const cluster = await FaultCluster.create({ instances: o.instances, log: say });
  const faults: FaultRecord[] = [];
  let report: CheckReport | undefined;
  let failed = true;
  try {
    await cluster.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
    // Started one by one, as an operator would: the first one started becomes the coordinator.
    for (const id of cluster.ids) {
      cluster.start(id);
      await cluster.whenRunning(id);
    }
    let loading = true;
    const drops = (async () => {
      while (loading) {
        await cluster.drop(CHANNEL, loadRng.chance(0.1) ? 'bad' : 'good');
        await sleep(loadRng.int(150, 600));
      }
    })();
    const edits = (async () => {
      let priority = 0;
      while (loading) {
        await sleep(loadRng.int(1500, 4000));
        if (!loading) break;
        priority = (priority % 100) + 1;
        await cluster.edit(CHANNEL, priority);
      }
    })();
    const deadline = performance.now() + o.seconds * 1000;
    const kinds = o.kinds ?? faultKinds;
    while (performance.now() < deadline) {
      await sleep(rng.int(500, 2500));
      if (performance.now() >= deadline) break;
      const kind = pickKind(rng, kinds);
      const record = await inject(cluster, rng, kind, say);
      if (record !== undefined) faults.push(record);
    }
    loading = false;
    await Promise.all([drops, edits]);
    let unquiet: string | undefined;
    try {
      await cluster.heal();
      unquiet = await cluster.quiesce(o.quiesceMs ?? 180_000);
    } catch (err) {
      unquiet = `healing failed: ${(err instanceof Error ? err.message : String(err)).slice(0, 2000)}`;
    }
    report = await checkRun({
      cluster,
      faults,
      channel: CHANNEL,
      unquiet,
      slots: Number(cluster.conf['slots']),
    });
    failed = report.violations.length > 0;
  } finally {
    await cluster.teardown(o.keep === true || failed);
  }
  const byKind: Record<string, number> = {};
  for (const f of faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const operations = cluster.history.counts();
  const summary = [
    `soak seed=${o.seed}`,
    `seconds=${o.seconds}`,
    `instances=${o.instances}`,
    `operations=${Object.entries(operations)
      .map(([k, n]) => `${k.replace(' ', ':')}=${n}`)
      .join(',')}`,
    `faults=${faults.length}(${Object.entries(byKind)
      .map(([k, n]) => `${k}=${n}`)
      .join(',')})`,
    `records=${report.records}`,
    `jobs=${report.jobs}`,
    `repeatedAttempts=${report.duplicateAttempts}`,
    `repairs=${report.repairs}`,
    `ignored=${report.ignored}`,
    `violations=${report.violations.length}`,
  ].join(' ');
  return { seed: o.seed, report, faults: byKind, operations, root: cluster.root, summary };
}

/** Carries out one fault of `kind` (and its undoing); undefined when it did not apply now. */
async function inject(
  cluster: FaultCluster,
  rng: Prng,
  kind: FaultKind,
  say: (l: string) => void,
): Promise<FaultRecord | undefined> {
  const alive = cluster.alive().filter((id) => cluster.proc(id)?.running === true);
  if (alive.length === 0) return undefined;
  const coordinator = await logCoordinator(cluster.real);
  const target =
    kind.includes('coordinator') && coordinator !== undefined && alive.includes(coordinator)
      ? coordinator
      : rng.pick(alive);
  const at = performance.now();
  const failure = cluster.failureTimeoutMs;
  say(`fault ${kind} on ${target}`);
  switch (kind) {
    case 'kill':
    case 'kill-coordinator':
      await cluster.kill(target);
      await sleep(rng.int(200, 2500));
      cluster.start(target);
      return { kind, target, at, affects: 1 };
    case 'crash-point': {
      const point = rng.pick(crashPoints);
      await cluster.kill(target);
      cluster.start(target, { DARKROOM_CRASH_AT: point, DARKROOM_CRASH_SKIP: String(rng.int(1, 6)) });
      // The armed instance dies when it reaches the point; if it never does in time (a take
      // happens only on the coordinator), it is killed plainly.
      if (!(await cluster.whenExited(target, 20_000))) await cluster.kill(target);
      cluster.start(target);
      return { kind: `crash-point:${point}`, target, at, affects: 2 };
    }
    case 'pause-worker':
    case 'pause-coordinator':
      if (!cluster.pause(target)) return undefined;
      // Past the failure timeout (a peer takes over), sometimes only briefly.
      await sleep(rng.chance(0.3) ? rng.int(200, failure / 2) : rng.int(failure, failure * 2));
      cluster.resume(target);
      return { kind, target, at, affects: 1 };
    case 'pause-lock-holder': {
      // The instance stops itself in the middle of a batch write, holding the append lock; it is
      // continued after the lock's stale time, when others have taken the lock over.
      await cluster.kill(target);
      cluster.start(target, { DARKROOM_PAUSE_AT: 'mid-write', DARKROOM_CRASH_SKIP: String(rng.int(1, 6)) });
      const deadline = performance.now() + 20_000;
      while (performance.now() < deadline && !(await cluster.selfStopped(target))) await sleep(100);
      if (await cluster.selfStopped(target)) {
        await sleep(cluster.lockStaleMs * 1.5);
        cluster.resume(target);
      }
      return { kind, target, at, affects: 2 };
    }
    case 'stall-drive':
    case 'stall-coordinator-drive':
      cluster.stallDrive(target);
      await sleep(rng.int(failure / 2, failure * 2));
      cluster.resumeDrive(target);
      return { kind, target, at, affects: 1 };
    case 'stall-all-drives':
      for (const id of cluster.ids) cluster.stallDrive(id);
      await sleep(rng.int(1000, failure));
      for (const id of cluster.ids) cluster.resumeDrive(id);
      return { kind, target: 'all', at, affects: cluster.ids.length };
    case 'restart-order': {
      // The old product's bug: the instance started first pushed its older database onto the
      // others. Stop all, start them in another order; the configuration checks catch a loss.
      const order = [...cluster.ids];
      for (const id of order) await cluster.stop(id);
      for (const id of order.reverse()) {
        cluster.start(id);
        await cluster.whenRunning(id, 120_000);
      }
      return { kind, target: 'all', at, affects: cluster.ids.length };
    }
  }
}
