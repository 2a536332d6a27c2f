// WorkerRole on a real log in a temp folder, with a runner that finishes at once: when appending a
// job's outcome fails with something other than a refused condition (a bug, a drive error), the
// worker names it as a fault and releases the attempt, so the job runs again, rather than leaving
// an unhandled rejection and the job processing forever.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { EventLog } from '../../src/events/event-log.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import { initLog } from '../../src/events/log-init.js';
import { silentLogger } from '../../src/logger.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { WorkerRole, type JobRunner } from '../../src/instance/worker-role.js';

let root: string;
let log: EventLog<ProjectionState>;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-worker-'));
  await initLog(join(root, 'shared'));
  log = await EventLog.open({
    sharedDir: join(root, 'shared'),
    writer: { by: 'a', inc: 0 },
    projector: darkroomProjector,
    settleMs: 0,
    snapshotEvery: 0,
  });
});
afterEach(async () => {
  await log.stop();
  await rm(root, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An incarnation of `a`, coordinator of term 1, and job j1 assigned to it. */
async function assignedJob(): Promise<{ inc: number }> {
  const [started] = await log.append([
    {
      type: 'InstanceStarted',
      data: { instanceId: 'a', host: 'h', pid: 1, version: 't', slots: 1, confHash: 'c', formatLevel: 1 },
    },
  ]);
  const inc = started!.seq;
  log.setWriter('a', inc);
  await log.append([{ type: 'CoordinatorElected', data: { instanceId: 'a', inc, term: 1 } }]);
  await log.append([
    { type: 'ChannelCreated', data: { channel: 'news', settings: {}, by: 'cli:test' } },
    {
      type: 'JobSubmitted',
      data: {
        jobId: 'j1',
        channel: 'news',
        source: 'in/j1.jpg',
        relPath: 'j1.jpg',
        workDir: 'work/j1',
        file: 'j1.jpg',
        bytes: 1,
        submittedBy: 'cli:test',
      },
    },
  ]);
  await log.append([{ type: 'JobAssigned', data: { jobId: 'j1', instanceId: 'a', inc, attempt: 1 } }], {
    term: 1,
  });
  return { inc };
}

describe('WorkerRole', () => {
  it('an outcome append that fails with a fault is a named, logged fault and the attempt is released', async () => {
    const { inc } = await assignedJob();
    // The outcome's append fails once with a plain error (what a bug or a drive error throws).
    const append = log.append.bind(log);
    let failed = 0;
    log.append = (events: readonly DarkroomEvent[], opts) => {
      if (failed === 0 && events.some((e) => e.type === 'JobCompleted')) {
        failed++;
        return Promise.reject(new Error('the drive answered EIO'));
      }
      return append(events, opts);
    };
    const runner: JobRunner = async (job) => ({
      outcome: {
        type: 'JobCompleted',
        data: { jobId: job.jobId, attempt: job.attempt, outcome: 'processed', outputs: [], timingsMs: {} },
      },
    });
    const faults: { where: string; err: unknown }[] = [];
    const worker = new WorkerRole({
      log,
      self: { instanceId: 'a', inc },
      slots: 1,
      runner,
      clock: systemClock,
      logger: silentLogger,
      onFault: (err, where) => faults.push({ err, where }),
      sharedDir: join(root, 'shared'),
    });
    worker.start();
    try {
      await waitFor('j1 released', () => log.state.jobs.all.get('j1')?.state === 'submitted');
      expect(failed).toBe(1);
      expect(faults.map((f) => f.where)).toEqual(['job j1 outcome']);
      expect(String(faults[0]!.err)).toContain('EIO');
      const job = log.state.jobs.all.get('j1')!;
      expect(job.attempt).toBe(1);
      expect(job.lastDeath ?? '').toContain('fault: the drive answered EIO');
      await waitFor('the worker idle', () => worker.status().running === 0);
    } finally {
      await worker.drain(1000);
    }
  });
});
