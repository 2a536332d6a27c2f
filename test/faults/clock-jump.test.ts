// A clock jump on one instance (issue 19 item 2): the coordinator's wall clock jumps one hour
// ahead, then a follower's one hour back, while photos are dropped (libfaketime, see
// harness/clock-jump.ts). Elections, leases and failure detection compare durations on the
// monotonic clock only, so nothing may happen: no election, no InstanceLost, no instance dies,
// and after healing every checker holds (each photo exactly once, the log well formed).
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { aliveFile } from '../../src/cluster/alive-file.js';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { checkRun } from './harness/checkers.js';
import { ClockJump, libfaketimePath } from './harness/clock-jump.js';
import { FaultCluster } from './harness/fault-cluster.js';
import { logCoordinator } from './harness/log-peek.js';
import { elections, losses, settled, until } from './harness/net-cluster.js';

const lib = libfaketimePath();
const refused =
  lib === undefined
    ? 'libfaketime is not installed (apt-get install libfaketime)'
    : bindfsAvailable()
      ? undefined
      : 'bindfs is not installed';
if (refused !== undefined) console.log(`clock jump test skipped: ${refused}`);

const CHANNEL = 'press';
const HOUR_S = 3600;
let cluster: FaultCluster | undefined;
const lines: string[] = [];

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  if (failed) console.log(lines.slice(-60).join('\n'));
  await cluster?.teardown(failed);
  cluster = undefined;
  lines.length = 0;
});

/** How far `id`'s wall clock is off, as its alive file's writtenAt says (ms, rounded to minutes). */
async function offsetOf(c: FaultCluster, id: string): Promise<number | undefined> {
  try {
    const f = JSON.parse(await readFile(aliveFile(c.real, id), 'utf8')) as { writtenAt: string };
    return Math.round((Date.parse(f.writtenAt) - Date.now()) / 60_000) * 60_000;
  } catch {
    return undefined;
  }
}

describe.skipIf(refused !== undefined)('a clock jump on one instance (libfaketime)', () => {
  it('coordinator +1 h, then a follower −1 h: no spurious failover, no second coordinator, each photo once', async () => {
    const c = await FaultCluster.create({ instances: 3, log: (l) => lines.push(l) });
    cluster = c;
    await c.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
    const jumps = new Map(c.ids.map((id) => [id, new ClockJump(lib!, `${c.root}/faketime.${id}`)]));
    for (const id of c.ids) {
      c.start(id, await jumps.get(id)!.env());
      await c.whenRunning(id);
    }
    await until('every instance settled', async () => settled(c.real, c.ids), 60_000);
    const lostBefore = await losses(c.real);
    const coordinator = (await logCoordinator(c.real))!;
    const follower = c.ids.find((id) => id !== coordinator)!;
    const before = await elections(c.real);
    const drops = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        await c.drop(CHANNEL, i % 5 === 4 ? 'bad' : 'good');
        await new Promise((r) => setTimeout(r, 150));
      }
    };

    lines.push(`jump ${coordinator} +1 h`);
    await jumps.get(coordinator)!.set(HOUR_S);
    // The jump is in effect: the coordinator's alive file is written an hour ahead.
    await until(
      'the coordinator writes its alive file an hour ahead',
      async () =>
        (await offsetOf(c, coordinator)) === HOUR_S * 1000 ? true : String(await offsetOf(c, coordinator)),
      30_000,
    );
    const at = performance.now();
    await drops(8);

    lines.push(`jump ${follower} −1 h`);
    await jumps.get(follower)!.set(-HOUR_S);
    await until(
      'the follower writes its alive file an hour behind',
      async () =>
        (await offsetOf(c, follower)) === -HOUR_S * 1000 ? true : String(await offsetOf(c, follower)),
      30_000,
    );
    await drops(8);
    await until(
      'two failure timeouts after the jumps',
      async () => (performance.now() - at > 2 * c.failureTimeoutMs ? true : 'waiting'),
      60_000,
    );
    const during = await elections(c.real);
    expect(during, 'an election after a wall-clock jump').toEqual(before);
    expect(await losses(c.real), 'an instance declared lost after a wall-clock jump').toEqual(lostBefore);
    for (const id of c.ids) expect(c.proc(id), `${id} still runs`).toBeDefined();

    for (const j of jumps.values()) await j.set(0);
    await c.heal();
    const unquiet = await c.quiesce(90_000);
    const report = await checkRun({
      cluster: c,
      faults: [
        { kind: 'clock-jump', target: coordinator, at, affects: 1 },
        { kind: 'clock-jump', target: follower, at, affects: 1 },
      ],
      channel: CHANNEL,
      unquiet,
      slots: 2,
    });
    expect(
      report.violations.map((v) => `${v.invariant}: ${v.detail}`),
      `kept: ${c.root}`,
    ).toEqual([]);
    expect(report.jobs).toBe(16);
    // Still no election once the clocks are back.
    expect(await elections(c.real)).toEqual(before);
  });
});
