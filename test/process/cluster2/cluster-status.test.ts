// Issue 15 item 10 with real processes: `darkroom cluster status` from a process that is no
// instance, over a cluster of three servers where two run (each through its own view of the
// drive): states, coordinator, warnings naming the fix, the exit code; then one is SIGKILLed.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../src/cluster/cluster-status.js';
import { cli, waitFor } from '../../fixtures/instance-drive.js';
import { makeCluster, running, type Cluster } from '../cluster/cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

async function status(c: Cluster): Promise<{ code: number; json: ClusterStatus }> {
  const r = await cli([
    'cluster',
    'status',
    '--conf',
    c.drive.conf,
    '--shared',
    c.views.get('s1')!,
    '--json',
  ]);
  try {
    return { code: r.code, json: JSON.parse(r.out) as ClusterStatus };
  } catch {
    throw new Error(`cluster status printed no JSON (exit ${r.code}):\n${r.out}\n${r.err}`);
  }
}

describe('darkroom cluster status', () => {
  it('names a server that never started, then a SIGKILLed one as lost; exit 1 with warnings', async () => {
    const c = (cluster = await makeCluster(['s1', 's2', 's3']));
    const s1 = c.start('s1');
    await running(s1, 's1 running');
    const s2 = c.start('s2');
    await running(s2, 's2 running');

    const first = await waitFor(
      'both instances running in cluster status',
      async () => {
        const s = await status(c);
        const states = s.json.instances.map((i) => i.state);
        return states[0] === 'running' && states[1] === 'running' ? s : undefined;
      },
      30_000,
    );
    expect(first.code).toBe(1);
    const [i1, i2, i3] = first.json.instances;
    expect(first.json.coordinator?.instanceId).toBe('s1');
    expect(i1).toMatchObject({ name: 's1', coordinator: true, port: { reachable: true }, slots: 2 });
    expect(i2).toMatchObject({
      name: 's2',
      coordinator: false,
      port: { reachable: true },
      logLag: expect.any(Number),
    });
    expect(i2!.heartbeatAgeMs).not.toBeNull();
    expect(i1!.confHash).toBe(i2!.confHash);
    expect(i3).toMatchObject({ name: 's3', state: 'never started', inc: null, port: { reachable: false } });
    expect(first.json.warnings.map((w) => w.code)).toEqual(['never-started']);
    expect(first.json.warnings[0]!.message).toMatch(/^server s3 of the conf never started/);

    // The human form says the same.
    const human = await cli(['cluster', 'status', '--conf', c.drive.conf, '--shared', c.views.get('s2')!]);
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/^s1\s+running/m);
    expect(human.out).toContain('server s3 of the conf never started');

    s2.signal('SIGKILL');
    await s2.exited;
    const after = await waitFor(
      's2 lost in cluster status',
      async () => {
        const s = await status(c);
        return s.json.instances[1]?.state === 'lost' ? s : undefined;
      },
      40_000,
    );
    expect(after.code).toBe(1);
    expect(after.json.warnings.map((w) => [w.code, w.instance])).toEqual([
      ['lost', 's2'],
      ['never-started', 's3'],
    ]);
  });
});
