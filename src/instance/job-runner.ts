// The job runner: dispatches a job by its channel's type, and turns an input error (bad image,
// bad settings, quality rejection, attempts exhausted) into the original in the bad folder with
// its error file plus JobFailed. Faults (drive, bug) are thrown: the worker releases the attempt.
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { drivePathsIn, toDrivePath } from '../drive-path.js';
import { asDarkroomError, DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { discardWork } from '../hotfolders/take-file.js';
import type { Logger } from '../logger.js';
import type { JobView, ProjectionState } from '../projections/state.js';
import { moveToBad } from './bad-folder.js';
import { channelFolder, planOf, type ChannelPlan } from './channel-plan.js';
import type { JobContext } from './job-context.js';
import { processJob } from './process-job.js';
import { routeJob } from './route-job.js';
import type { AttemptGuard, JobResultPlan, JobRunner } from './worker-role.js';

export interface JobRunnerOptions {
  readonly sharedDir: string;
  readonly instanceId: string;
  /** Attempts that ended without an outcome (releases) before a job goes to the bad folder. */
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
      if (job.releases >= o.maxAttempts) {
        throw new DarkroomError('E_JOB_GAVE_UP', {
          jobId: job.jobId,
          attempts: job.releases,
          reason: 'released each time (instance stopped, lost or faulted)',
        });
      }
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
