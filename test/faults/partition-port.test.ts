// Partitions on the cluster port (issue 19 item 2, issue 15 item 11 last bullet): three instances,
// each in a network namespace of its own on a bridge (test/faults/harness/netns.ts), each seeing
// the drive through its own bindfs view; `darkroom cluster status` runs in a fourth namespace, as
// another server would. Faults are nftables rules in one instance's namespace.
// (a) one instance's cluster port blocked: the status warns, naming it and the fix, and no second
//     coordinator is accepted (one coordinator per term, checked on the log).
// (c) one way: one instance cannot reach another's cluster port while the other still reaches it.
// Both: every dropped photo has exactly one outcome, and every checker holds after healing.
import { afterEach, describe, expect, it } from 'vitest';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { checkRun, type FaultRecord } from './harness/checkers.js';
import { logCoordinator } from './harness/log-peek.js';
import { elections, netCluster, OBSERVER, settled, until, type NetCluster } from './harness/net-cluster.js';
import { netnsRefused } from './harness/netns.js';

const refused = netnsRefused() ?? (bindfsAvailable() ? undefined : 'bindfs is not installed');
if (refused !== undefined) console.log(`partition tests skipped: ${refused}`);

const CHANNEL = 'press';
let net: NetCluster | undefined;
const lines: string[] = [];
let failed = false;

afterEach(async (ctx) => {
  failed = ctx.task.result?.state === 'fail';
  if (failed) console.log(lines.slice(-60).join('\n'));
  await net?.close(failed);
  net = undefined;
  lines.length = 0;
});

async function startCluster(): Promise<NetCluster> {
  net = await netCluster(3, (l) => lines.push(l));
  const { cluster } = net;
  await cluster.createChannel(CHANNEL, { type: 'process', fileReadyDelayMs: 300, priority: 50 });
  for (const id of cluster.ids) {
    cluster.start(id);
    await cluster.whenRunning(id);
  }
  await until('every instance settled', async () => settled(cluster.real, cluster.ids), 60_000);
  // Every instance hears every other on the cluster port before the fault: status healthy.
  await until(
    'cluster status healthy from the observer',
    async () => {
      const r = await net!.lan.cli(OBSERVER, ['cluster', 'status', '--conf', cluster.confFile]);
      return r.code === 0 ? true : `exit ${r.code}: ${r.out.slice(-600)}${r.err.slice(-300)}`;
    },
    90_000,
  );
  return net;
}

async function dropMany(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await net!.cluster.drop(CHANNEL, i % 7 === 3 ? 'bad' : 'good');
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function healAndCheck(faults: FaultRecord[]): Promise<void> {
  const { cluster, lan } = net!;
  lan.heal();
  await cluster.heal();
  const unquiet = await cluster.quiesce(90_000);
  const report = await checkRun({ cluster, faults, channel: CHANNEL, unquiet, slots: 2 });
  expect(
    report.violations.map((v) => `${v.invariant}: ${v.detail}`),
    `kept: ${cluster.root}`,
  ).toEqual([]);
  expect(report.jobs).toBeGreaterThan(0);
}

describe.skipIf(refused !== undefined)('partitions on the cluster port (network namespaces)', () => {
  it('(a) the coordinator’s cluster port blocked: cluster status names it and the fix; no second coordinator is accepted', async () => {
    const { cluster, lan, clusterPort } = await startCluster();
    const coordinator = await logCoordinator(cluster.real);
    expect(coordinator).toBeDefined();
    const c = coordinator!;
    const port = clusterPort.get(c)!;
    const before = await elections(cluster.real);
    lines.push(`block port ${port} of ${c}`);
    lan.blockPort(c, port);
    const blockedAt = performance.now();
    const load = dropMany(12);
    // The warning from another server: it names the instance, its port and what to check.
    let status = '';
    await until(
      'cluster status warns about the blocked port',
      async () => {
        const r = await lan.cli(OBSERVER, ['cluster', 'status', '--conf', cluster.confFile]);
        status = r.out + r.err;
        if (r.code === 0) return `still healthy: ${status.slice(-400)}`;
        return status.includes(`${c} is alive in the log but unreachable on port ${port}`)
          ? true
          : status.slice(-600);
      },
      60_000,
    );
    expect(status).toMatch(/check that .+ is open to this server|check the firewall/);
    const json = await lan.cli(OBSERVER, ['cluster', 'status', '--conf', cluster.confFile, '--json']);
    const parsed = JSON.parse(json.out) as {
      healthy: boolean;
      warnings: { code: string; instance?: string }[];
      coordinator: { instanceId: string } | null;
    };
    expect(parsed.healthy).toBe(false);
    expect(parsed.warnings).toContainEqual(
      expect.objectContaining({ code: 'unreachable-from-here', instance: c }),
    );
    await load;
    // Keep the port blocked past two failure timeouts: its heartbeats still reach the others over
    // the connections it dialled, and its lease and alive file go on: nobody may take over.
    await until(
      'two failure timeouts with the port blocked',
      async () => (performance.now() - blockedAt > 2 * cluster.failureTimeoutMs ? true : 'waiting'),
      60_000,
    );
    const after = await elections(cluster.real);
    expect(after, 'no election while only the port was blocked').toEqual(before);
    expect(parsed.coordinator?.instanceId).toBe(c);
    await healAndCheck([{ kind: 'block-port', target: c, at: blockedAt, affects: 1 }]);
  });

  it('(c) one way: a follower cannot reach the coordinator’s port, the coordinator still reaches it: one coordinator per term, each photo once', async () => {
    const { cluster, lan, clusterPort } = await startCluster();
    const c = (await logCoordinator(cluster.real))!;
    const follower = cluster.ids.find((id) => id !== c)!;
    const other = cluster.ids.find((id) => id !== c && id !== follower)!;
    const before = await elections(cluster.real);
    lines.push(
      `one way: ${follower} cannot reach ${c}:${clusterPort.get(c)}; ${other} too cannot reach ${follower}`,
    );
    // Two one-way cuts at once: follower → coordinator, and the third instance → follower.
    lan.blockOneWay(follower, c, clusterPort.get(c)!);
    lan.blockOneWay(other, follower, clusterPort.get(follower)!);
    const at = performance.now();
    await dropMany(12);
    await until(
      'two failure timeouts with the one-way cuts',
      async () => (performance.now() - at > 2 * cluster.failureTimeoutMs ? true : 'waiting'),
      60_000,
    );
    // Each pair still has one working connection (dialled the other way): nobody was lost and no
    // election happened; every instance is still running.
    const after = await elections(cluster.real);
    expect(after).toEqual(before);
    for (const id of cluster.ids) expect(cluster.proc(id), `${id} still runs`).toBeDefined();
    await healAndCheck([
      { kind: 'one-way', target: follower, at, affects: 1 },
      { kind: 'one-way', target: other, at, affects: 1 },
    ]);
  });
});
