// A worker that dies after appending a job's outcome but before removing work/<jobId>/ leaves the
// folder behind; the coordinator removes such folders of finished jobs (forged here: a cancelled
// job with its folder still present), and leaves folders of open jobs alone. Folders of archived
// jobs (finished, beyond jobs.retainFinished; their views are gone) are removed when the input is
// gone, and kept while it is still there (originals: leave). That they are never submitted again
// as orphans is checked where it is decided: test/projections/retention.test.ts.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../../src/events/event-log.js';
import { darkroomProjector } from '../../../src/projections/projector.js';
import type { ProjectionState } from '../../../src/projections/state.js';
import {
  exists,
  makeDrive,
  putChannel,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let d: Drive;
let a: RunningInstance | undefined;

beforeAll(async () => {
  d = await makeDrive();
  await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
});

afterAll(async () => {
  if (a !== undefined && a.child.exitCode === null) a.signal('SIGTERM');
  if (a !== undefined) expect(await a.exited).toBe(0);
  await d.cleanup();
});

async function forgeJob(
  log: EventLog<ProjectionState>,
  jobId: string,
  opts: { manifest?: boolean; input?: boolean } = {},
): Promise<string> {
  const workDir = join(d.shared, 'work', jobId);
  await mkdir(workDir, { recursive: true });
  if (opts.input ?? true) await writeFile(join(workDir, 'photo.jpg'), 'not read');
  if (opts.manifest === true) {
    const manifest = {
      jobId,
      channel: 'press',
      relPath: 'photo.jpg',
      source: '/in/photo.jpg',
      file: 'photo.jpg',
    };
    await writeFile(join(workDir, '.darkroom-job.json'), JSON.stringify(manifest));
  }
  await log.append([
    {
      type: 'JobSubmitted',
      data: {
        jobId,
        channel: 'press',
        source: 'test',
        relPath: 'photo.jpg',
        workDir: `work/${jobId}`,
        file: 'photo.jpg',
        bytes: 8,
        submittedBy: 'cli:test',
      },
    },
  ]);
  return workDir;
}

describe('coordinator start: work folders of finished jobs', () => {
  it('removes the folder of a finished job and keeps the one of an open job', async () => {
    const log = await EventLog.open({
      sharedDir: d.shared,
      writer: { by: 'cli:test', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
    });
    // Paused: the open job below must stay open (submitted) while the instance runs.
    await log.append([{ type: 'ChannelPaused', data: { channel: 'press', reason: 'test' } }]);
    // Finished first, then archived by a retention of 1: one lost its input, one keeps it.
    const gone = await forgeJob(log, 'job-archived-gone', { manifest: true });
    const kept = await forgeJob(log, 'job-archived-kept', { manifest: true });
    for (const jobId of ['job-archived-gone', 'job-archived-kept'])
      await log.append([{ type: 'JobCancelled', data: { jobId, by: 'test', reason: 'test' } }]);
    await rm(join(gone, 'photo.jpg'));
    const finished = await forgeJob(log, 'job-finished');
    await log.append([{ type: 'JobCancelled', data: { jobId: 'job-finished', by: 'test', reason: 'test' } }]);
    await log.append([{ type: 'SettingChanged', data: { key: 'jobs.retainFinished', value: 1 } }]);
    expect(log.state.jobs.all.has('job-archived-kept')).toBe(false);
    expect(log.state.jobs.all.has('job-finished')).toBe(true);
    const open = await forgeJob(log, 'job-open');
    await log.stop();

    a = startInstance(d.conf, 'a');
    await waitFor('instance running', () => a!.output().includes('running (inc'), 30_000, a.output);
    await waitFor('finished job folder removed', async () => !(await exists(finished)), 30_000, a.output);
    expect(await exists(join(open, 'photo.jpg'))).toBe(true);
    await waitFor(
      'archived job folder without its input removed',
      async () => !(await exists(gone)),
      30_000,
      a.output,
    );
    expect(await exists(join(kept, 'photo.jpg'))).toBe(true);
  });
});
