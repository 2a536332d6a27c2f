// Zombies and duplicates with real processes: a worker SIGSTOPped for 10 s (past the failure
// timeout) and resumed finds its incarnation lost, drops its work and rejoins as a new
// incarnation — no duplicate output, no event of its old incarnation accepted after it was lost;
// a second `darkroom start --id a` beside a live a is refused, naming where a runs.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dropSamples, listFiles, outcomes, putChannel, waitFor } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, startAt, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

describe('zombies and duplicate ids', () => {
  it('SIGSTOP a worker 10 s, then SIGCONT: it rejoins as a new incarnation; no duplicates, nothing stale accepted', async () => {
    const c = (cluster = await makeCluster(['a', 'b'], { ...clusterConf, slots: '1' }));
    await putChannel(c.drive.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    for (const id of c.ids) await running(c.start(id), `${id} running`);
    const kinds = await dropSamples(join(c.drive.shared, 'hotfolders', 'press', 'in'), 30);
    await waitFor(
      'b processing',
      async () => (await c.records()).some((r) => r.type === 'JobStarted' && r.by === 'b'),
      90_000,
    );
    const oldInc = (await c.records()).find(
      (r) => r.type === 'InstanceStarted' && r.data.instanceId === 'b',
    )!.seq;
    c.proc('b').signal('SIGSTOP');
    const stoppedAt = performance.now();
    await waitFor(
      'b declared lost',
      async () => (await c.records()).some((r) => r.type === 'InstanceLost' && r.data.instanceId === 'b'),
      60_000,
    );
    // Paused for 10 s in all (the scenario), then resumed.
    await waitFor('10 s of pause', () => performance.now() - stoppedAt >= 10_000, 20_000);
    c.proc('b').signal('SIGCONT');
    await waitFor(
      'b rejoined as a new incarnation',
      async () =>
        (await c.records()).some(
          (r) => r.type === 'InstanceStarted' && r.data.instanceId === 'b' && r.seq > oldInc,
        ),
      60_000,
      c.proc('b').output,
    );
    await waitFor('30 outcomes', async () => (await outcomes(c.drive.shared)).final.size >= 30, 120_000);

    const { submitted, final, records } = await outcomes(c.drive.shared);
    for (const [relPath, jobs] of submitted) {
      expect(jobs, relPath).toHaveLength(1);
      expect(
        final.get(jobs[0]!)?.map((r) => r.type),
        relPath,
      ).toEqual(['JobCompleted']);
    }
    expect(await listFiles(join(c.drive.shared, 'hotfolders', 'press', 'out'))).toEqual(
      [...kinds.keys()].sort(),
    );
    // Nothing the old incarnation wrote after it was declared lost made it into the log.
    const lostAt = records.find((r) => r.type === 'InstanceLost' && r.data.instanceId === 'b')!.seq;
    const stale = records.filter((r) => r.seq > lostAt && r.by === 'b' && r.inc === oldInc);
    expect(stale.map((r) => `${r.seq} ${r.type}`)).toEqual([]);
    expect(c.proc('b').output()).toMatch(/this incarnation was declared lost: dropping its work/);

    for (const id of c.ids) c.proc(id).signal('SIGTERM');
    for (const id of c.ids) expect(await c.proc(id).exited).toBe(0);
  });

  it('a second process with a live id is refused with E_INSTANCE_DUPLICATE naming where the other runs', async () => {
    const c = (cluster = await makeCluster(['a']));
    const a = c.start('a');
    await running(a);
    const second = startAt(c.drive.conf, 'a', c.views.get('a')!);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(
      /E_INSTANCE_DUPLICATE: instance a is already running \(incarnation \d+, pid \d+ on /,
    );
    // The first goes on: still the coordinator, no second InstanceStarted.
    const records = await c.records();
    expect(records.filter((r) => r.type === 'InstanceStarted')).toHaveLength(1);
    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
  });
});
