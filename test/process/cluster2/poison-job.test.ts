// Issue 15 item 8 with real processes: a file that kills its worker every time (the crash fixture
// DARKROOM_TEST_CRASH_ON makes the instance SIGKILL itself when it begins processing that file)
// goes to the bad folder with E_JOB_GAVE_UP after maxAttempts deaths; the other files are
// processed exactly once and the poison file is never opened again.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
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
  smallSamples,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';
import { serverEntries } from './ports.js';

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

describe('poison jobs: a file whose attempts keep dying', () => {
  it('goes to the bad folder with E_JOB_GAVE_UP after maxAttempts deaths; the rest exactly once', async () => {
    const d = (drive = await makeDrive(await serverEntries(1), { ...fastConf, maxAttempts: '2' }));
    await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    const input = join(d.shared, 'hotfolders', 'press', 'in');
    const env = { DARKROOM_TEST_CRASH_ON: 'poison.jpg' };
    const start = () => {
      const r = startInstance(d.conf, 's1', env);
      running.push(r);
      return r;
    };
    let instance = start();
    await waitFor('s1 running', () => instance.output().includes(': running ('), 60_000, instance.output);
    const good = await dropSamples(input, 3);
    await mkdir(input, { recursive: true });
    await copyFile((await smallSamples())[0]!, join(input, 'poison.jpg'));

    // Each death: the instance kills itself on the poison file; it is started again (a new
    // incarnation, which releases the attempt the old one died in).
    let deaths = 0;
    const poisonOutcome = async () => {
      const { submitted, final } = await outcomes(d.shared);
      const [jobId] = submitted.get('poison.jpg') ?? [];
      return jobId === undefined ? undefined : final.get(jobId);
    };
    while ((await poisonOutcome()) === undefined) {
      const which = await Promise.race([
        instance.exited.then(() => 'died' as const),
        waitFor('the poison job’s outcome', poisonOutcome, 90_000, instance.output).then(
          () => 'done' as const,
        ),
      ]);
      if (which === 'done') break;
      deaths++;
      expect(deaths, 'more deaths than maxAttempts').toBeLessThanOrEqual(2);
      instance = start();
    }
    expect(deaths).toBe(2);

    await waitFor(
      'every outcome',
      async () => (await outcomes(d.shared)).final.size === good.size + 1,
      90_000,
      instance.output,
    );
    const { submitted, final, records } = await outcomes(d.shared);
    for (const [relPath, jobs] of submitted) {
      expect(jobs, relPath).toHaveLength(1);
      expect(final.get(jobs[0]!), relPath).toHaveLength(1);
    }
    const poisonId = submitted.get('poison.jpg')![0]!;
    const failed = final.get(poisonId)![0]!;
    if (failed.type !== 'JobFailed') throw new Error(`poison.jpg ended with ${failed.type}`);
    expect(failed.data).toMatchObject({
      code: 'E_JOB_GAVE_UP',
      attempt: 3,
      badPath: 'hotfolders/press/bad/poison.jpg',
    });
    expect(failed.data.message).toMatch(
      /2 attempts died while processing it \(last: s1 \(inc \d+\) restarted/,
    );
    const starts = records.filter((r) => r.type === 'JobStarted' && r.data.jobId === poisonId);
    expect(starts).toHaveLength(3);

    const hot = join(d.shared, 'hotfolders', 'press');
    expect(await listFiles(join(hot, 'bad'))).toEqual(['poison.jpg', 'poison.jpg.error.txt']);
    const report = await readFile(join(hot, 'bad', 'poison.jpg.error.txt'), 'utf8');
    expect(report).toContain('code: E_JOB_GAVE_UP');
    expect(report).toContain('what to do:');
    expect(await listFiles(join(hot, 'out'))).toEqual([...good.keys()].sort());

    instance.signal('SIGTERM');
    expect(await instance.exited).toBe(0);
    const verify = await cli(['log', 'verify', '--conf', d.conf]);
    expect(verify.code, verify.err).toBe(0);
  });
});
