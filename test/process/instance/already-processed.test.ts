// Inputs that already carry darkroom's processing stamp, through a real `darkroom start`: the
// channel's stamp.whenAlreadyProcessed decides — skip (published unchanged) or route (moved to
// routeDir unchanged); an unstamped input beside them is processed as usual.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStamp } from '../../../src/imaging/processing-stamp.js';
import {
  cli,
  exists,
  makeDrive,
  outcomes,
  putChannel,
  smallSamples,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let d: Drive;
let a: RunningInstance;
let stamped: Buffer;
let plain: string;
const hot = (channel: string, sub: string) => join(d.shared, 'hotfolders', channel, sub);

beforeAll(async () => {
  d = await makeDrive();
  await putChannel(d.shared, 'skipper', {
    type: 'process',
    fileReadyDelayMs: 200,
    stamp: { whenAlreadyProcessed: 'skip' },
  });
  await putChannel(d.shared, 'router', {
    type: 'process',
    fileReadyDelayMs: 200,
    stamp: { whenAlreadyProcessed: 'route', routeDir: 'done-before' },
  });
  const [first, second] = await smallSamples();
  plain = second!;
  const out = join(d.root, 'stamped.jpg');
  const made = await cli(['process', first!, out]);
  expect(made.code, made.err).toBe(0);
  stamped = await readFile(out);
  expect(await readStamp(stamped)).toBeDefined();
  a = startInstance(d.conf, 'a');
  await waitFor('instance running', () => a.output().includes('running (inc'), 30_000, a.output);
});

afterAll(async () => {
  if (a.child.exitCode === null) a.signal('SIGTERM');
  expect(await a.exited).toBe(0);
  await d.cleanup();
});

async function outcomeOf(relPath: string): Promise<{ type: string; outcome?: string } | undefined> {
  const { submitted, final } = await outcomes(d.shared);
  const [jobId] = submitted.get(relPath) ?? [];
  const r = jobId === undefined ? undefined : final.get(jobId)?.[0];
  if (r === undefined) return undefined;
  return r.type === 'JobCompleted' ? { type: r.type, outcome: r.data.outcome } : { type: r.type };
}

describe('darkroom start: inputs that were processed before', () => {
  it('skip: the stamped input is published unchanged and the job says skipped', async () => {
    await mkdir(hot('skipper', 'in'), { recursive: true });
    await copyFile(join(d.root, 'stamped.jpg'), join(hot('skipper', 'in'), 'again.jpg'));
    const o = await waitFor('outcome of again.jpg', () => outcomeOf('again.jpg'), 60_000, a.output);
    expect(o).toEqual({ type: 'JobCompleted', outcome: 'skipped' });
    expect(await readFile(join(hot('skipper', 'out'), 'again.jpg'))).toEqual(stamped);
  });

  it('route: the stamped input goes to routeDir unchanged; an unstamped one is processed', async () => {
    await mkdir(hot('router', 'in'), { recursive: true });
    await copyFile(join(d.root, 'stamped.jpg'), join(hot('router', 'in'), 'seen.jpg'));
    await copyFile(plain, join(hot('router', 'in'), 'fresh.jpg'));
    const seen = await waitFor('outcome of seen.jpg', () => outcomeOf('seen.jpg'), 60_000, a.output);
    const fresh = await waitFor('outcome of fresh.jpg', () => outcomeOf('fresh.jpg'), 60_000, a.output);
    expect(seen).toEqual({ type: 'JobCompleted', outcome: 'routed' });
    expect(fresh).toEqual({ type: 'JobCompleted', outcome: 'processed' });
    expect(await readFile(join(d.shared, 'done-before', 'seen.jpg'))).toEqual(stamped);
    expect(await exists(join(hot('router', 'out'), 'seen.jpg'))).toBe(false);
    const out = await readFile(join(hot('router', 'out'), 'fresh.jpg'));
    expect((await readStamp(out))?.context).toMatchObject({ channel: 'router' });
  });
});
