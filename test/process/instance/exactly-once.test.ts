// Invariant 1 with real `darkroom start` processes: every file dropped into a hotfolder ends in
// exactly one place (an output with its original archived, or the bad folder with an error
// file), also when the instance is SIGKILLed in the middle of the batch and restarted.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cli,
  dropSamples,
  fastConf,
  listFiles,
  makeDrive,
  outcomes,
  putChannel,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
  type SampleKind,
} from '../../fixtures/instance-drive.js';

// Deadlines, not timings: at load 30-36 on the 2-core machine an instance took over 30 s to start
// and 200 real photos took up to 240 s (session 6); the test waits for conditions only.
const START_MS = 90_000;

let drive: Drive | undefined;
const running: RunningInstance[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.signal('SIGKILL');
    await r.exited;
  }
  await drive?.cleanup();
  drive = undefined;
});

function start(d: Drive): RunningInstance {
  const r = startInstance(d.conf, 'a');
  running.push(r);
  return r;
}

/** Asserts the folders and the log hold exactly one outcome per dropped file. */
async function expectExactlyOnce(d: Drive, kinds: Map<string, SampleKind>): Promise<void> {
  const hot = join(d.shared, 'hotfolders', 'press');
  const good = [...kinds]
    .filter(([, k]) => k === 'good')
    .map(([n]) => n)
    .sort();
  const bad = [...kinds]
    .filter(([, k]) => k !== 'good')
    .map(([n]) => n)
    .sort();
  const { submitted, final } = await outcomes(d.shared);

  // The log: one job per file, one final outcome per job, failures exactly for the bad inputs.
  expect([...submitted.keys()].sort()).toEqual([...kinds.keys()].sort());
  for (const [relPath, jobs] of submitted) expect(jobs, relPath).toHaveLength(1);
  const outcomeOf = new Map<string, string>();
  for (const [relPath, [jobId]] of submitted) {
    const recs = final.get(jobId!) ?? [];
    expect(recs, `${relPath} (${jobId})`).toHaveLength(1);
    const r = recs[0]!;
    outcomeOf.set(relPath, r.type === 'JobFailed' ? `JobFailed ${r.data.code}: ${r.data.message}` : r.type);
  }
  for (const n of good) expect(outcomeOf.get(n), n).toBe('JobCompleted');
  for (const n of bad) expect(outcomeOf.get(n), n).toMatch(/^JobFailed E_IMAGE_/);

  // The folders: outputs and originals for the good ones, bad files with error files for the rest.
  expect(await listFiles(join(hot, 'out'))).toEqual(good);
  expect(await listFiles(join(hot, 'originals'))).toEqual(good);
  expect(await listFiles(join(hot, 'bad'))).toEqual(bad.flatMap((n) => [n, `${n}.error.txt`]).sort());
  expect(await listFiles(join(hot, 'in'))).toEqual([]);
  await waitFor(
    'work folders removed',
    async () => (await listFiles(join(d.shared, 'work'))).length === 0,
    10_000,
  );
}

describe('darkroom start: one instance, files dropped into a hotfolder', () => {
  it('200 files, good and bad mixed, dropped at once: 200 outcomes, each exactly once; SIGTERM drains', async () => {
    const d = (drive = await makeDrive());
    await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 300 });
    const a = start(d);
    await waitFor('instance running', () => a.output().includes('running (inc'), START_MS, a.output);
    const kinds = await dropSamples(join(d.shared, 'hotfolders', 'press', 'in'), 200, { badEvery: 5 });

    await waitFor(
      '200 outcomes',
      async () => (await outcomes(d.shared)).final.size >= 200,
      400_000,
      async () => `${a.output().slice(-3000)}\nfinal: ${(await outcomes(d.shared)).final.size}`,
    );
    await expectExactlyOnce(d, kinds);

    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    const types = (await outcomes(d.shared)).records.map((r) => r.type);
    expect(types.slice(-2)).toEqual(['InstanceStopping', 'InstanceStopped']);
    const verify = await cli(['log', 'verify', '--conf', d.conf]);
    expect(verify.code, verify.err).toBe(0);
  }, 540_000);

  it('SIGTERM in the middle of a batch releases what it holds within the drain timeout; a restart finishes exactly once', async () => {
    const d = (drive = await makeDrive(undefined, { ...fastConf, drainTimeoutMs: '0' }));
    await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    const first = start(d);
    await waitFor('instance running', () => first.output().includes('running (inc'), START_MS, first.output);
    const kinds = await dropSamples(join(d.shared, 'hotfolders', 'press', 'in'), 60, { badEvery: 7 });
    await waitFor(
      '10 outcomes',
      async () => (await outcomes(d.shared)).final.size >= 10,
      60_000,
      first.output,
    );
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    const { records } = await outcomes(d.shared);
    const tail = records.slice(records.findIndex((r) => r.type === 'InstanceStopping'));
    expect(tail.at(-1)?.type).toBe('InstanceStopped');
    // Nothing is left held by the stopping incarnation: every job it had started ended or was released.
    const held = new Set<string>();
    for (const r of records) {
      if (r.type === 'JobStarted') held.add(r.data.jobId);
      if (r.type === 'JobCompleted' || r.type === 'JobFailed' || r.type === 'JobReleased')
        held.delete(r.data.jobId);
    }
    expect([...held]).toEqual([]);
    expect(tail.filter((r) => r.type === 'JobAssigned')).toEqual([]);

    const second = start(d);
    await waitFor(
      '60 outcomes after the restart',
      async () => (await outcomes(d.shared)).final.size >= 60,
      120_000,
      second.output,
    );
    await expectExactlyOnce(d, kinds);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 360_000);

  it('SIGKILL in the middle of a batch, then a restart: still exactly once (with a retention of 20 finished jobs)', async () => {
    const d = (drive = await makeDrive());
    await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    // Most finished jobs are archived while the batch runs: that must not change any outcome.
    expect((await cli(['jobs', 'retention', '20', '--conf', d.conf])).code).toBe(0);
    const first = start(d);
    await waitFor('instance running', () => first.output().includes('running (inc'), START_MS, first.output);
    const kinds = await dropSamples(join(d.shared, 'hotfolders', 'press', 'in'), 120, { badEvery: 6 });
    await waitFor(
      '30 outcomes',
      async () => (await outcomes(d.shared)).final.size >= 30,
      60_000,
      first.output,
    );
    first.signal('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const atKill = (await outcomes(d.shared)).final.size;
    expect(atKill).toBeLessThan(120);

    const second = start(d);
    await waitFor(
      '120 outcomes after the restart',
      async () => (await outcomes(d.shared)).final.size >= 120,
      120_000,
      async () => `${second.output().slice(-3000)}\nfinal: ${(await outcomes(d.shared)).final.size}`,
    );
    await expectExactlyOnce(d, kinds);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
    const verify = await cli(['log', 'verify', '--conf', d.conf]);
    expect(verify.code, verify.err).toBe(0);
    const kept = await cli(['jobs', 'retention', '--conf', d.conf]);
    expect(kept.out).toMatch(/jobs\.retainFinished = 20 \(20 finished jobs kept, 100 archived\)/);
    process.stdout.write(`sigkill test: ${atKill} of 120 outcomes before the kill\n`);
  }, 360_000);
});
