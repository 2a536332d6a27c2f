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
const lines: string[] = [];

beforeAll(async () => {
  if (!bindfsAvailable()) return;
  cluster = await FaultCluster.create({ instances: 2, log: (l) => lines.push(l) });
  await cluster.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
  // s1, started first, is the first coordinator: it is armed to die between a take and JobSubmitted.
  for (const id of cluster.ids) {
    cluster.start(id, id === 's1' ? { DARKROOM_CRASH_AT: 'after-take' } : {});
    await cluster.whenRunning(id);
  }
}, 90_000);

afterAll(async () => {
  await cluster?.teardown();
}, 60_000);

/** The instance the log names coordinator. */
async function coordinator(c: FaultCluster): Promise<string> {
  const { records } = await readLog(c.real);
  const last = records.filter((r) => r.type === 'CoordinatorElected').at(-1);
  if (last?.type !== 'CoordinatorElected') throw new Error('no coordinator elected');
  return last.data.instanceId;
}

/**
 * Restarts `id` armed at `point` (unless `armed`: it already is), drops files until it dies
 * there, then restarts it plainly.
 */
async function crashAt(c: FaultCluster, id: string, point: string, skip = 0, armed = false): Promise<void> {
  if (!armed) {
    await c.kill(id);
    faults.push({ kind: 'kill', target: id, at: performance.now(), affects: 1 });
    c.start(id, { DARKROOM_CRASH_AT: point, DARKROOM_CRASH_SKIP: String(skip) });
  }
  let died = false;
  for (let i = 0; i < 80 && !died; i++) {
    await c.drop(CHANNEL, i % 7 === 6 ? 'bad' : 'good');
    died = await c.whenExited(id, 500);
  }
  expect(died, `${id} never reached ${point}\n${lines.slice(-20).join('\n')}\n${c.outputTail(id)}`).toBe(
    true,
  );
  faults.push({ kind: `crash-point:${point}`, target: id, at: performance.now(), affects: 1 });
  c.start(id);
  await c.whenRunning(id);
}

describe.runIf(bindfsAvailable())('SIGKILL at named crash points, then the restart order', () => {
  it('after-take (coordinator), after-publish (worker), mid-write: every file one outcome, nothing lost', async () => {
    const c = cluster!;
    // The coordinator takes files: it dies between the take and JobSubmitted; the next coordinator
    // finds the work/ folder with no job and submits it.
    await crashAt(c, c.ids[0]!, 'after-take', 0, true);
    // Any instance publishes outputs: it dies between publishing and JobCompleted; the rerun must
    // not write a second output.
    const coord = await coordinator(c);
    await crashAt(
      c,
      c.ids.find((id) => id !== coord)!,
      'after-publish',
    );
    // Inside a batch write (the batch is half written): the next writer moves it aside and records it.
    await crashAt(c, c.ids[1]!, 'mid-write', 2);
    for (let i = 0; i < 5; i++) await c.drop(CHANNEL);
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
    const { records } = await readLog(c.real);
    const priorities = records.flatMap((r) =>
      r.type === 'ChannelUpdated' && r.data.channel === CHANNEL
        ? [(r.data.settings as { priority?: number }).priority]
        : [],
    );
    expect(priorities.slice(-3)).toEqual([71, 72, 73]);
  }, 240_000);
});
