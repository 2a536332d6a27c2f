// The coordinator packs complete log batches into segments from time to time (packEveryMs):
// after a run of jobs the log has segments, fewer batch files, and still verifies.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  dropSamples,
  fastConf,
  makeDrive,
  outcomes,
  putChannel,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let d: Drive;
let a: RunningInstance | undefined;

beforeAll(async () => {
  d = await makeDrive(undefined, { ...fastConf, packEveryMs: '300' });
  await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
});

afterAll(async () => {
  if (a !== undefined && a.child.exitCode === null) a.signal('SIGTERM');
  if (a !== undefined) expect(await a.exited).toBe(0);
  await d.cleanup();
});

describe('coordinator: packing the log', () => {
  it('packs batches into segments while jobs run; the log still verifies and reads the same', async () => {
    a = startInstance(d.conf, 'a');
    await waitFor('instance running', () => a!.output().includes('running (inc'), 30_000, a.output);
    await dropSamples(join(d.shared, 'hotfolders', 'press', 'in'), 12, { badEvery: 4 });
    await waitFor('12 outcomes', async () => (await outcomes(d.shared)).final.size >= 12, 60_000, a.output);
    const segments = await waitFor(
      'a segment',
      async () => {
        const names = await readdir(join(d.shared, 'log', 'segments')).catch(() => [] as string[]);
        return names.length > 0 ? names : undefined;
      },
      30_000,
      a.output,
    );
    expect(segments.length).toBeGreaterThan(0);
    const batches = (await readdir(join(d.shared, 'log'))).filter((n) => n.startsWith('b'));
    const { records } = await outcomes(d.shared);
    expect(batches.length).toBeLessThan(records.length);
    const verify = await cli(['log', 'verify', '--conf', d.conf]);
    expect(verify.code, verify.err).toBe(0);
  });
});
