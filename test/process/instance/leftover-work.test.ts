// A worker that dies after appending a job's outcome but before removing work/<jobId>/ leaves the
// folder behind; the coordinator removes such folders of finished jobs (forged here: a cancelled
// job with its folder still present), and leaves folders of open jobs alone.
import { mkdir, writeFile } from 'node:fs/promises';
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

async function forgeJob(log: EventLog<ProjectionState>, jobId: string): Promise<string> {
  const workDir = join(d.shared, 'work', jobId);
  await mkdir(workDir, { recursive: true });
  await writeFile(join(workDir, 'photo.jpg'), 'not read');
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
    const finished = await forgeJob(log, 'job-finished');
    await log.append([{ type: 'JobCancelled', data: { jobId: 'job-finished', by: 'test', reason: 'test' } }]);
    const open = await forgeJob(log, 'job-open');
    await log.stop();

    a = startInstance(d.conf, 'a');
    await waitFor('instance running', () => a!.output().includes('running (inc'), 30_000, a.output);
    await waitFor('finished job folder removed', async () => !(await exists(finished)), 30_000, a.output);
    expect(await exists(join(open, 'photo.jpg'))).toBe(true);
  });
});
