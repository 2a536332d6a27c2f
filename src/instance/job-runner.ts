// The job runner: dispatches a job by its channel's type, and turns an input error (bad image,
// bad settings, quality rejection, attempts exhausted) into the original in the bad folder with
// its error file plus JobFailed. Faults (drive, bug) are thrown: the worker releases the attempt.
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { drivePathsIn, toDrivePath } from '../drive-path.js';
import { asDarkroomError, DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { discardWork } from '../hotfolders/take-file.js';
import type { Logger } from '../logger.js';
import { deathsOf } from '../projections/jobs.js';
import type { JobView, ProjectionState } from '../projections/state.js';
import { moveToBad } from './bad-folder.js';
import { channelFolder, planOf, type ChannelPlan } from './channel-plan.js';
import type { JobContext } from './job-context.js';
import { crashIfArmed } from './job-hooks.js';
import { processJob } from './process-job.js';
import { routeJob } from './route-job.js';
import type { AttemptGuard, JobResultPlan, JobRunner } from './worker-role.js';

export interface JobRunnerOptions {
  readonly sharedDir: string;
  readonly instanceId: string;
  /** Attempts that died while processing (JobView.deaths) before a job goes to the bad folder. */
  readonly maxAttempts: number;
  readonly pollHotfolders: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** An error that means "this input cannot be processed" rather than "darkroom or its drive failed". */
export function isInputError(err: unknown): err is DarkroomError {
  return (
    isDarkroomError(err) &&
    (err.kind === 'input' || err.code === 'E_QUALITY_REJECTED' || err.code === 'E_JOB_GAVE_UP')
  );
}

/**
 * Pure: the error that sends a poison job to the bad folder — one whose attempts died
 * `maxAttempts` times while processing (its worker lost, restarted or faulted) — or undefined.
 * Checked before the job's input is read, so a file that kills its worker is never opened again.
 */
export function decidePoison(job: JobView, maxAttempts: number): DarkroomError | undefined {
  const deaths = deathsOf(job);
  if (deaths < maxAttempts) return undefined;
  return new DarkroomError('E_JOB_GAVE_UP', {
    jobId: job.jobId,
    attempts: deaths,
    reason: job.lastDeath ?? 'unknown',
  });
}

export function createJobRunner(o: JobRunnerOptions): JobRunner {
  return async (job: JobView, state: ProjectionState, guard: AttemptGuard): Promise<JobResultPlan> => {
    const view = state.config.channels.get(job.channel);
    const ctx: JobContext = {
      sharedDir: o.sharedDir,
      instanceId: o.instanceId,
      job,
      channelSettings: view?.settings ?? {},
      channels: (name) => state.config.channels.get(name),
      guard,
      clock: o.clock,
      logger: o.logger,
      discardWork: async () => discardWork(o.sharedDir, job.jobId),
    };
    let plan: ChannelPlan | undefined;
    try {
      if (view === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: job.channel });
      plan = planOf(view, o.sharedDir, { pollHotfolders: o.pollHotfolders });
      const poison = decidePoison(job, o.maxAttempts);
      if (poison !== undefined) throw poison;
      crashIfArmed(job.relPath);
      if (plan.type === 'process') return await processJob(ctx, plan);
      if (plan.type === 'routing') return await routeJob(ctx, plan);
      throw new DarkroomError('E_SETTINGS_INVALID', {
        field: 'type',
        detail: 'a purging channel takes no jobs',
      });
    } catch (err) {
      if (!isInputError(err)) throw err;
      const bad =
        plan !== undefined && plan.type !== 'purging'
          ? plan.bad
          : channelFolder(o.sharedDir, job.channel, undefined, 'bad');
      return failToBad(ctx, bad, err);
    }
  };
}

/** Moves the input to the bad folder with its error file; JobFailed. */
export async function failToBad(ctx: JobContext, badDir: string, err: unknown): Promise<JobResultPlan> {
  const e = asDarkroomError(err);
  const { job } = ctx;
  await ctx.guard.check();
  const badPath = await moveToBad(
    ctx.sharedDir,
    join(ctx.sharedDir, job.workDir),
    join(ctx.sharedDir, job.workDir, job.file),
    badDir,
    job.relPath,
    {
      code: e.code,
      message: e.message,
      fix: e.fix,
      channel: job.channel,
      instanceId: ctx.instanceId,
      jobId: job.jobId,
      time: ctx.clock.wallTime().toISOString(),
    },
  );
  ctx.logger.info({ jobId: job.jobId, code: e.code, badPath }, 'input moved to the bad folder');
  return {
    outcome: {
      type: 'JobFailed',
      data: {
        jobId: job.jobId,
        attempt: job.attempt,
        code: e.code,
        message: drivePathsIn(ctx.sharedDir, e.message),
        badPath: toDrivePath(ctx.sharedDir, badPath),
      },
    },
    after: ctx.discardWork,
  };
}
