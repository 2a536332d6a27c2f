// One Instance in this process: it elects itself, steps down when its lease cannot be renewed
// for half the failure timeout, never acts for that term again but is elected for the next one
// once the drive is back, and stops idempotently with InstanceStopping/InstanceStopped.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConf } from '../../src/cluster/conf.js';
import { readRecords } from '../../src/events/log-reader.js';
import { initLog } from '../../src/events/log-init.js';
import { Instance } from '../../src/instance/instance.js';
import { silentLogger } from '../../src/logger.js';
import { freePorts } from '../support/free-ports.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-inst-'));
  await initLog(join(root, 'shared'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function instance(): Promise<Instance> {
  const shared = join(root, 'shared');
  const [cluster, http] = await freePorts(2);
  const text = [
    `server = a@127.0.0.1:${cluster}:${http}`,
    `shared = ${shared}`,
    `secret = ${'s'.repeat(32)}`,
    'heartbeatMs = 50',
    'failureTimeoutMs = 400',
    'logPollMs = 50',
    'drainTimeoutMs = 1000',
    'slots = 1',
  ].join('\n');
  const conf = parseConf(text, join(root, 'c.conf'));
  return new Instance({ conf, self: conf.servers[0]!, logger: silentLogger });
}

async function types(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readRecords(join(root, 'shared'))) out.push(e.record.type);
  return out;
}

describe('Instance', () => {
  it('elects itself, steps down when the lease cannot be renewed, and is elected for the next term once the drive is back', async () => {
    const inst = await instance();
    await inst.start();
    expect(inst.status()).toMatchObject({ status: 'running', coordinator: true, inc: 1 });
    // Break the lease: cluster/ becomes a file, so lease.json cannot be written.
    const cluster = join(root, 'shared', 'cluster');
    for (let i = 0; ; i++) {
      // The lease writer may recreate the folder in between: retry until the file is in place.
      await rename(cluster, `${cluster}.${i}`).catch(() => undefined);
      if (
        await writeFile(cluster, 'not a folder').then(
          () => true,
          () => false,
        )
      )
        break;
    }
    await waitFor('step down', () => !inst.status().coordinator);
    await rm(cluster);
    await mkdir(cluster);
    await waitFor('coordinator again', () => inst.status().coordinator);
    const log = inst.log!;
    expect(log.state.cluster.term).toBe(2);
    const stop1 = inst.stop();
    const stop2 = inst.stop();
    await Promise.all([stop1, stop2]);
    await inst.whenStopped();
    expect(inst.status()).toMatchObject({ status: 'stopped', coordinator: false });
    const written = await types();
    expect(written.slice(0, 2)).toEqual(['InstanceStarted', 'CoordinatorElected']);
    expect(written.filter((t) => t === 'CoordinatorElected')).toHaveLength(2);
    expect(written.slice(-2)).toEqual(['InstanceStopping', 'InstanceStopped']);
  });
});
