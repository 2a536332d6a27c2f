// `darkroom jobs ...` end to end, in-process through main(), on a log holding forged job events
// appended through EventLog (an instance a, elected coordinator, working jobs of channel press):
// list with filters, one job's history, retry, cancel, approve and reject with state conditions.
import { describe, expect, it } from 'vitest';
import type { DarkroomEvent } from '../../../src/events/event-types.js';
import { EventLog } from '../../../src/events/event-log.js';
import { darkroomProjector } from '../../../src/projections/projector.js';
import { darkroom, darkroomJson, tempShared } from './cli-harness.js';

/** A shared folder with jobs j1 (failed), j2 (completed), j3 (review), j4 (submitted), j5 (review) of press, j6 of web. */
async function forgedJobs(): Promise<string> {
  const shared = await tempShared('darkroom-jobs-');
  await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir']);
  await darkroom(['channel', 'add', 'web', '--type', 'process', '--shared', shared, '--no-mkdir']);
  const log = await EventLog.open({
    sharedDir: shared,
    writer: { by: 'a', inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
  });
  try {
    const [started] = await log.append([
      {
        type: 'InstanceStarted',
        data: {
          instanceId: 'a',
          host: 'h',
          pid: 1,
          version: '0.1.0',
          slots: 4,
          confHash: 'c',
          formatLevel: 1,
        },
      },
    ]);
    const inc = started!.seq;
    log.setWriter('a', inc);
    await log.append([{ type: 'CoordinatorElected', data: { instanceId: 'a', inc, term: 1 } }]);
    const submit = (jobId: string, channel = 'press'): DarkroomEvent => ({
      type: 'JobSubmitted',
      data: {
        jobId,
        channel,
        source: `hotfolders/${channel}/in/${jobId}.jpg`,
        relPath: `${jobId}.jpg`,
        workDir: `work/${jobId}`,
        file: `${jobId}.jpg`,
        bytes: 1234,
        submittedBy: 'a',
      },
    });
    await log.append([
      {
        type: 'ChannelStandbyEntered',
        data: { channel: 'web', reason: 'input folder unreachable (ENOENT)' },
      },
    ]);
    const ids = ['j1', 'j2', 'j3', 'j4', 'j5'];
    await log.append([...ids.map((id) => submit(id)), submit('j6', 'web')]);
    const working = ['j1', 'j2', 'j3', 'j5'];
    await log.append(
      working.map((jobId) => ({ type: 'JobAssigned', data: { jobId, instanceId: 'a', inc, attempt: 1 } })),
    );
    await log.append(
      working.map((jobId) => ({ type: 'JobStarted', data: { jobId, instanceId: 'a', attempt: 1 } })),
    );
    await log.append([
      {
        type: 'JobFailed',
        data: { jobId: 'j1', attempt: 1, code: 'E_IMAGE_CORRUPT', message: 'broken', badPath: 'bad/j1.jpg' },
      },
      {
        type: 'JobCompleted',
        data: {
          jobId: 'j2',
          attempt: 1,
          outcome: 'processed',
          outputs: ['out/j2.jpg'],
          timingsMs: { total: 5 },
        },
      },
      { type: 'JobReviewRequested', data: { jobId: 'j3', attempt: 1, verdict: { sharpness: 'reject' } } },
      { type: 'JobReviewRequested', data: { jobId: 'j5', attempt: 1, verdict: { noise: 'reject' } } },
    ]);
  } finally {
    await log.stop();
  }
  return shared;
}

const states = (jobs: { jobId: string; state: string }[]) => jobs.map((j) => `${j.jobId}:${j.state}`);

describe('darkroom channel list on a cluster log', () => {
  it('shows a channel on standby with the reason the coordinator gave', async () => {
    const shared = await forgedJobs();
    const list = await darkroomJson(['channel', 'list', '--shared', shared]);
    expect(
      list.channels.map((c: { name: string; state: string; reason?: string }) => [
        c.name,
        c.state,
        c.reason ?? null,
      ]),
    ).toEqual([
      ['press', 'active', null],
      ['web', 'standby', 'input folder unreachable (ENOENT)'],
    ]);
    const human = await darkroom(['channel', 'list', '--shared', shared]);
    expect(human.out).toMatch(/web\s+process\s+standby \(input folder unreachable \(ENOENT\)\)/);
  });
});

describe('darkroom jobs', () => {
  it('lists jobs from the projection with --state, --channel and --limit filters', async () => {
    const shared = await forgedJobs();
    const all = await darkroomJson(['jobs', '--shared', shared]);
    expect(states(all.jobs)).toEqual([
      'j1:failed',
      'j2:completed',
      'j3:review',
      'j4:submitted',
      'j5:review',
      'j6:submitted',
    ]);
    expect(states((await darkroomJson(['jobs', '--state', 'review', '--shared', shared])).jobs)).toEqual([
      'j3:review',
      'j5:review',
    ]);
    expect(states((await darkroomJson(['jobs', '--channel', 'web', '--shared', shared])).jobs)).toEqual([
      'j6:submitted',
    ]);
    expect(states((await darkroomJson(['jobs', 'list', '--limit', '2', '--shared', shared])).jobs)).toEqual([
      'j5:review',
      'j6:submitted',
    ]);
    const human = await darkroom(['jobs', '--state', 'failed', '--shared', shared]);
    expect(human.out).toMatch(/^JOB\s+STATE\s+CHANNEL\s+ATTEMPT\s+HOLDER\s+SUBMITTED\s+FILE\n/);
    expect(human.out).toMatch(/j1\s+failed\s+press\s+1\s+a#\d+\s+\S+\s+j1\.jpg/);
    expect((await darkroom(['jobs', '--state', 'lost', '--shared', shared])).code).toBe(2);
  });

  it('show prints the job and every log record about it', async () => {
    const shared = await forgedJobs();
    const r = await darkroomJson(['jobs', 'show', 'j1', '--shared', shared]);
    expect(r.job).toMatchObject({
      jobId: 'j1',
      state: 'failed',
      error: { code: 'E_IMAGE_CORRUPT', badPath: 'bad/j1.jpg' },
    });
    expect(r.records.map((x: { type: string }) => x.type)).toEqual([
      'JobSubmitted',
      'JobAssigned',
      'JobStarted',
      'JobFailed',
    ]);
    const human = await darkroom(['jobs', 'show', 'j1', '--shared', shared]);
    expect(human.out).toMatch(/state\s+failed, attempt 1/);
    expect(human.out).toMatch(/error\s+E_IMAGE_CORRUPT: broken \(bad\/j1\.jpg\)/);
    expect(human.out.split('\n').filter((l) => / Job\w+ /.test(l))).toHaveLength(4);
    const none = await darkroom(['jobs', 'show', 'nope', '--shared', shared]);
    expect(none).toMatchObject({ code: 65 });
    expect(none.err).toMatch(/E_JOB_UNKNOWN: no job with id nope/);
  });

  it('retry puts a failed job back to submitted, once; cancel ends an open job', async () => {
    const shared = await forgedJobs();
    const retry = await darkroom(['jobs', 'retry', 'j1', '--shared', shared], 'ann');
    expect(retry).toMatchObject({ code: 0, err: '' });
    expect(retry.out).toMatch(/job j1: JobRetried at seq \d+; now submitted/);
    const again = await darkroom(['jobs', 'retry', 'j1', '--shared', shared]);
    expect(again.code).toBe(75);
    expect(again.err).toMatch(/E_JOB_STATE: job j1 is submitted; retry needs it failed/);
    expect((await darkroom(['jobs', 'retry', 'j2', '--shared', shared])).err).toMatch(/job j2 is completed/);

    const cancel = await darkroom(
      ['jobs', 'cancel', 'j4', '--reason', 'wrong file', '--shared', shared],
      'bob',
    );
    expect(cancel.out).toMatch(/now cancelled/);
    const j4 = (await darkroomJson(['jobs', 'show', 'j4', '--shared', shared])).job;
    expect(j4).toMatchObject({ state: 'cancelled', cancelled: { by: 'bob', reason: 'wrong file' } });
    expect((await darkroom(['jobs', 'cancel', 'j4', '--shared', shared])).code).toBe(75);
  });

  it('approve and reject decide jobs waiting in review', async () => {
    const shared = await forgedJobs();
    expect((await darkroom(['jobs', 'approve', 'j3', '--shared', shared], 'ann')).out).toMatch(
      /now completed/,
    );
    expect((await darkroom(['jobs', 'reject', 'j5', '--shared', shared])).code).toBe(2);
    const reject = await darkroom(
      ['jobs', 'reject', 'j5', '--reason', 'too noisy', '--cancel', '--shared', shared],
      'bob',
    );
    expect(reject.out).toMatch(/now cancelled/);
    const shown = await darkroomJson(['jobs', 'show', 'j5', '--shared', shared]);
    expect(shown.job.review).toMatchObject({ decision: 'rejected', by: 'bob', reason: 'too noisy' });
    expect((await darkroomJson(['jobs', 'show', 'j3', '--shared', shared])).job.review).toMatchObject({
      decision: 'approved',
      by: 'ann',
    });
    expect((await darkroom(['jobs', 'approve', 'j3', '--shared', shared])).err).toMatch(
      /job j3 is completed; approve needs it review/,
    );
  });

  it('retention shows and sets how many finished jobs are kept; archived jobs keep their history', async () => {
    const shared = await forgedJobs();
    const before = await darkroom(['jobs', 'retention', '--shared', shared]);
    expect(before.out).toMatch(/jobs\.retainFinished = 10000 \(2 finished jobs kept, 0 archived\)/);
    expect((await darkroom(['jobs', 'retention', '-1', '--shared', shared])).code).not.toBe(0);
    expect((await darkroom(['jobs', 'retention', 'many', '--shared', shared])).err).toMatch(
      /E_USAGE: retention count must be an integer >= 0, not "many"/,
    );
    const set = await darkroom(['jobs', 'retention', '1', '--shared', shared], 'ann');
    expect(set.out).toMatch(/jobs\.retainFinished = 1 at seq \d+/);
    // j1 failed before j2 completed: j1 is archived, j2 kept.
    expect((await darkroom(['jobs', 'retention', '--shared', shared])).out).toMatch(
      /= 1 \(1 finished jobs kept, 1 archived\)/,
    );
    const ids = (await darkroomJson(['jobs', '--shared', shared])).jobs.map(
      (j: { jobId: string }) => j.jobId,
    );
    expect(ids).not.toContain('j1');
    expect(ids).toContain('j2');
    const shown = await darkroomJson(['jobs', 'show', 'j1', '--shared', shared]);
    expect(shown).toMatchObject({ job: null, archived: true });
    expect(shown.records.map((r: { type: string }) => r.type)).toEqual([
      'JobSubmitted',
      'JobAssigned',
      'JobStarted',
      'JobFailed',
    ]);
    expect((await darkroom(['jobs', 'show', 'j1', '--shared', shared])).out).toMatch(/j1: archived/);
    const retry = await darkroom(['jobs', 'retry', 'j1', '--shared', shared]);
    expect(retry.code).toBe(75);
    expect(retry.err).toMatch(/job j1 is archived.*drop its file into the hotfolder again/);
  });
});
