// Named faults on two real instances, each on its own bindfs view of the drive, checked with the
// full checkers (test/faults/harness/checkers.ts): SIGKILL at the crash points of a job (after
// taking a file, after publishing its output) and of an append (inside a batch write), then the
// old product's restart-order bug (a channel change made while every server is down, servers
// started in the other order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLog } from './harness/log-peek.js';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { checkRun, type FaultRecord } from './harness/checkers.js';
import { FaultCluster } from './harness/fault-cluster.js';

const CHANNEL = 'press';
let cluster: FaultCluster | undefined;
const faults: FaultRecord[] = [];
/**
 * s1, started first, is the first coordinator: it dies between a take and JobSubmitted (the next
 * coordinator finds the work/ folder with no job and submits it); restarted, it is a worker and
 * dies between publishing an output and JobCompleted (the rerun must not write a second output);
 * restarted again, it dies inside its third batch write (the next writer moves the half-written
 * batch aside and records it).
 */
const S1_ARMS: readonly Arm[] = [
  { point: 'after-take' },
  { point: 'after-publish' },
  { point: 'mid-write', skip: 2 },
];
const lines: string[] = [];

beforeAll(async () => {
  if (!bindfsAvailable()) return;
  cluster = await FaultCluster.create({ instances: 2, log: (l) => lines.push(l) });
  await cluster.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
  for (const id of cluster.ids) {
    cluster.start(id, id === 's1' ? armEnv(S1_ARMS[0]!) : {});
    await cluster.whenRunning(id);
  }
}, 320_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

/** A crash point to arm, passed `skip` times first. */
interface Arm {
  readonly point: string;
  readonly skip?: number;
}

function armEnv(arm: Arm): NodeJS.ProcessEnv {
  return { DARKROOM_CRASH_AT: arm.point, DARKROOM_CRASH_SKIP: String(arm.skip ?? 0) };
}

/**
 * `id` runs armed at `arms[0]`: drops files until it dies there, restarts it armed at the next
 * point (no kill in between: every start is costly under load), and so on; at last restarts it
 * plainly. Files come in bursts of one per slot of the cluster: the coordinator gives a job to
 * the roomiest instance, the older incarnation on a tie, so a freshly restarted instance gets
 * work only once the others' slots are full.
 */
async function crashThrough(c: FaultCluster, id: string, arms: readonly Arm[]): Promise<void> {
  const burst = Number(c.conf['slots']) * c.ids.length;
  for (const [n, arm] of arms.entries()) {
    let died = false;
    for (let round = 0; round < 30 && !died; round++) {
      for (let i = 0; i < burst; i++) await c.drop(CHANNEL, (round * burst + i) % 7 === 6 ? 'bad' : 'good');
      died = await c.whenExited(id, 3000);
    }
    expect(
      died,
      `${id} never reached ${arm.point}\n${lines.slice(-20).join('\n')}\n${c.outputTail(id)}`,
    ).toBe(true);
    faults.push({ kind: `crash-point:${arm.point}`, target: id, at: performance.now(), affects: 1 });
    const next = arms[n + 1];
    c.start(id, next !== undefined ? armEnv(next) : {});
    await c.whenRunning(id);
  }
}

/** Waits for quiescence, then expects every checker to pass; returns the report. */
async function expectAllHeld(c: FaultCluster): Promise<Awaited<ReturnType<typeof checkRun>>> {
  const unquiet = await c.quiesce(90_000);
  const report = await checkRun({
    cluster: c,
    faults,
    channel: CHANNEL,
    unquiet,
    slots: Number(c.conf['slots']),
  });
  const detail = report.violations.map((v) => `${v.invariant}: ${v.detail}`).join('\n');
  expect(report.violations, `${detail}\n${lines.slice(-30).join('\n')}`).toEqual([]);
  return report;
}

describe.runIf(bindfsAvailable())('SIGKILL at named crash points, then the restart order', () => {
  it('after-take (coordinator), after-publish (worker), mid-write: every file one outcome, nothing lost', async () => {
    const c = cluster!;
    await crashThrough(c, 's1', S1_ARMS);
    for (let i = 0; i < 5; i++) await c.drop(CHANNEL);
    const report = await expectAllHeld(c);
    expect(report.repairs, 'the half-written batch was moved aside and recorded').toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('a channel change made while every server is down survives a start in the other order', async () => {
    const c = cluster!;
    await c.edit(CHANNEL, 71);
    for (const id of c.ids) await c.stop(id);
    faults.push({ kind: 'restart-order', target: 'all', at: performance.now(), affects: c.ids.length });
    await c.edit(CHANNEL, 72);
    for (const id of [...c.ids].reverse()) {
      c.start(id);
      await c.whenRunning(id);
    }
    await c.edit(CHANNEL, 73);
    for (let i = 0; i < 3; i++) await c.drop(CHANNEL);
    await expectAllHeld(c);
    const { records } = await readLog(c.real);
    const priorities = records.flatMap((r) =>
      r.type === 'ChannelUpdated' && r.data.channel === CHANNEL
        ? [(r.data.settings as { priority?: number }).priority]
        : [],
    );
    expect(priorities.slice(-3)).toEqual([71, 72, 73]);
  }, 240_000);
});
