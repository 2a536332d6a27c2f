// (b) of the partition faults (issue 19 item 2): the coordinator cut off from every peer on the
// network (nftables in its namespace drops all packets from and to them) while it still reaches
// the shared drive through its own view. Its lease and alive file go on, so the others must not
// take over for a silent network alone (it may declare a peer lost whose alive file it also saw
// unchanged for the timeout); whatever they decide, at most one coordinator acts per
// term (checked on the log), every dropped photo has exactly one outcome, and `cluster status`
// from another server says which link is cut and what to check.
import { afterEach, describe, expect, it } from 'vitest';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { checkRun } from './harness/checkers.js';
import { logCoordinator, readLog } from './harness/log-peek.js';
import {
  elections,
  losses,
  netCluster,
  OBSERVER,
  settled,
  until,
  type NetCluster,
} from './harness/net-cluster.js';
import { netnsRefused } from './harness/netns.js';

const refused = netnsRefused() ?? (bindfsAvailable() ? undefined : 'bindfs is not installed');
if (refused !== undefined) console.log(`partition tests skipped: ${refused}`);

const CHANNEL = 'press';
let net: NetCluster | undefined;
const lines: string[] = [];

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === 'fail';
  if (failed) console.log(lines.slice(-60).join('\n'));
  await net?.close(failed);
  net = undefined;
  lines.length = 0;
});

describe.skipIf(refused !== undefined)('partition: the coordinator isolated from its peers', () => {
  it('(b) it still reaches the drive: no takeover, one coordinator per term, every photo exactly once', async () => {
    net = await netCluster(3, (l) => lines.push(l));
    const { cluster, lan } = net;
    await cluster.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
    for (const id of cluster.ids) {
      cluster.start(id);
      await cluster.whenRunning(id);
    }
    await until('every instance settled', async () => settled(cluster.real, cluster.ids), 60_000);
    const lostBefore = await losses(cluster.real);
    const c = (await logCoordinator(cluster.real))!;
    expect(c).toBeDefined();
    const peers = cluster.ids.filter((id) => id !== c);
    // Everyone connected first (each alive file lists its peers as connected).
    await until(
      'cluster status healthy',
      async () => {
        const r = await lan.cli(OBSERVER, ['cluster', 'status', '--conf', cluster.confFile]);
        return r.code === 0 ? true : r.out.slice(-500);
      },
      90_000,
    );
    const before = await elections(cluster.real);
    lines.push(`isolate ${c} from ${peers.join(', ')}`);
    lan.isolate(c, peers);
    const at = performance.now();
    for (let i = 0; i < 14; i++) {
      await cluster.drop(CHANNEL, i % 6 === 2 ? 'bad' : 'good');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The peers report the cut link in their alive files: the status names it and the fix.
    let status = '';
    await until(
      'cluster status names the cut link',
      async () => {
        const r = await lan.cli(OBSERVER, ['cluster', 'status', '--conf', cluster.confFile]);
        status = r.out + r.err;
        return r.code !== 0 && status.includes(`${c} is alive in the log but unreachable on port`)
          ? true
          : status.slice(-500);
      },
      60_000,
    );
    expect(status).toMatch(/check the firewall between them/);
    // Jobs go on while the coordinator is cut off (assignments travel through the log).
    await until(
      'the drops made during the isolation are processed',
      async () => {
        const { records } = await readLog(cluster.real);
        const done = records.filter((r) => r.type === 'JobCompleted' || r.type === 'JobFailed').length;
        return done >= 14 ? true : `${done} of 14 final`;
      },
      120_000,
    );
    await until(
      'two failure timeouts of isolation',
      async () => (performance.now() - at > 2 * cluster.failureTimeoutMs ? true : 'waiting'),
      60_000,
    );
    const during = await elections(cluster.real);
    lines.push(`elections before ${JSON.stringify(before)} during ${JSON.stringify(during)}`);
    // The drive shows it alive (lease renewed, alive file changing): no takeover for the network alone.
    expect(during, 'an election while the coordinator still renewed its lease on the drive').toEqual(before);
    // The coordinator itself is never declared lost. It hears no heartbeat of its peers now, so a
    // peer whose alive file it also saw unchanged for the failure timeout (a drive slow under
    // load) may be declared lost by it: allowed (its jobs are released and it rejoins), counted.
    const lost = (await losses(cluster.real)).slice(lostBefore.length);
    lines.push(`InstanceLost during the isolation: ${JSON.stringify(lost)}`);
    expect(lost.filter((l) => l.instanceId === c)).toEqual([]);
    lan.heal();
    await cluster.heal();
    const unquiet = await cluster.quiesce(90_000);
    const report = await checkRun({
      cluster,
      // Every instance may have jobs cut short: the coordinator's peers may be declared lost.
      faults: [{ kind: 'isolate-coordinator', target: c, at, affects: cluster.ids.length }],
      channel: CHANNEL,
      unquiet,
      slots: 2,
    });
    expect(
      report.violations.map((v) => `${v.invariant}: ${v.detail}`),
      `kept: ${cluster.root}`,
    ).toEqual([]);
    expect(report.jobs).toBe(14);
  });
});
