// `darkroom jobs [list]|show|retry|cancel|approve|reject`: jobs from the projection, one job's
// history from the log, and the operator's actions on a job as events with job-state conditions.
import type { Command } from 'commander';
import type { Condition } from '../events/conditions.js';
import { jobStates, type DarkroomEvent, type JobState } from '../events/event-types.js';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { readRecords } from '../events/log-reader.js';
import { isArchived, isRetainFinished, retainFinishedKey } from '../projections/jobs.js';
import type { JobView, ProjectionState } from '../projections/state.js';
import { table } from '../channels/channel-table.js';
import { action, type CliContext } from './cli-context.js';
import { cliUser, withAdminLog } from './channel-commands.js';
import { formatRecord } from './log-commands.js';
import { resolveSharedDrive, withSharedDirOptions, type SharedDirOptions } from './shared-dir-option.js';

interface JsonOption {
  json?: boolean;
}

interface ListOptions extends SharedDirOptions, JsonOption {
  state?: string;
  channel?: string;
  limit: string;
}

export type JobAction =
  | { readonly kind: 'retry'; readonly by: string }
  | { readonly kind: 'cancel'; readonly by: string; readonly reason: string }
  | { readonly kind: 'approve'; readonly by: string }
  | { readonly kind: 'reject'; readonly by: string; readonly reason: string; readonly cancel: boolean };

const openStates: readonly JobState[] = ['submitted', 'assigned', 'processing', 'review'];

/** From which states each action may move a job (the replay rules say the same). */
const allowedFrom: Readonly<Record<JobAction['kind'], readonly JobState[]>> = {
  retry: ['failed'],
  cancel: openStates,
  approve: ['review'],
  reject: ['review'],
};

/**
 * Pure: the event for an operator's action on job `jobId`, on condition the job is still in a
 * state the action applies to. Throws E_JOB_UNKNOWN, or E_JOB_STATE when it is not.
 */
export function decideJobAction(
  state: ProjectionState,
  jobId: string,
  act: JobAction,
): { events: DarkroomEvent[]; conditions: Condition[] } {
  const job = state.jobs.all.get(jobId);
  if (job === undefined && isArchived(state.jobs, jobId)) {
    const detail = `it finished long ago and is archived (beyond ${retainFinishedKey} = ${state.jobs.retainFinished}); drop its file into the hotfolder again to process it anew`;
    throw new DarkroomError('E_JOB_STATE', { jobId, state: 'archived', detail });
  }
  if (job === undefined) throw new DarkroomError('E_JOB_UNKNOWN', { jobId });
  const states = allowedFrom[act.kind];
  if (!states.includes(job.state)) {
    throw new DarkroomError('E_JOB_STATE', {
      jobId,
      state: job.state,
      detail: `${act.kind} needs it ${states.join(' or ')}`,
    });
  }
  const conditions: Condition[] = [{ kind: 'jobState', jobId, states }];
  switch (act.kind) {
    case 'retry':
      return { events: [{ type: 'JobRetried', data: { jobId, by: act.by } }], conditions };
    case 'cancel':
      return {
        events: [{ type: 'JobCancelled', data: { jobId, by: act.by, reason: act.reason } }],
        conditions,
      };
    case 'approve':
      return { events: [{ type: 'JobApproved', data: { jobId, by: act.by } }], conditions };
    case 'reject':
      return {
        events: [
          {
            type: 'JobRejected',
            data: {
              jobId,
              by: act.by,
              reason: act.reason,
              ...(act.cancel ? { to: 'cancelled' as const } : {}),
            },
          },
        ],
        conditions,
      };
  }
}

function jobLine(j: JobView): string[] {
  const holder = j.instanceId === undefined ? '-' : `${j.instanceId}#${j.inc ?? '-'}`;
  return [j.jobId, j.state, j.channel, String(j.attempt), holder, j.submitted.ts, j.relPath];
}

/** Jobs matching the filters, in submission order (by seq), the last `limit` of them. */
export function listJobs(
  state: ProjectionState,
  f: { readonly state?: JobState; readonly channel?: string; readonly limit: number },
): JobView[] {
  const jobs = [...state.jobs.all.values()]
    .filter(
      (j) =>
        (f.state === undefined || j.state === f.state) &&
        (f.channel === undefined || j.channel === f.channel),
    )
    .sort((a, b) => a.submitted.seq - b.submitted.seq);
  return f.limit > 0 ? jobs.slice(-f.limit) : jobs;
}

function parseState(value: string | undefined): JobState | undefined {
  if (value === undefined) return undefined;
  if (!(jobStates as readonly string[]).includes(value)) {
    throw new DarkroomError('E_USAGE', {
      detail: `--state ${value}: must be one of ${jobStates.join(', ')}`,
    });
  }
  return value as JobState;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new DarkroomError('E_USAGE', { detail: `--limit must be a whole number, got "${value}"` });
  return n;
}

export function registerJobsCommands(program: Command, ctx: CliContext): void {
  const jobs = program
    .command('jobs')
    .description('jobs: list, show one job’s history, retry, cancel, approve, reject');

  withSharedDirOptions(jobs.command('list', { isDefault: true }))
    .description('jobs from the projection, oldest first (the default: `darkroom jobs --state failed`)')
    .option('--state <state>', `only jobs in this state (${jobStates.join(', ')})`)
    .option('--channel <name>', 'only jobs of this channel')
    .option('--limit <n>', 'at most the last N jobs (0: all)', '50')
    .option('--json', 'print as JSON')
    .action(
      action(ctx, async (opts: ListOptions) => {
        const filter = {
          ...(opts.state === undefined ? {} : { state: parseState(opts.state)! }),
          ...(opts.channel === undefined ? {} : { channel: opts.channel }),
          limit: parseLimit(opts.limit),
        };
        const state = await withAdminLog(opts, async (log) => log.state);
        const list = listJobs(state, filter);
        if (opts.json) {
          ctx.out(JSON.stringify({ seq: state.meta.seq, jobs: list }));
          return 0;
        }
        if (list.length === 0) ctx.out('no jobs');
        else
          for (const line of table(
            ['JOB', 'STATE', 'CHANNEL', 'ATTEMPT', 'HOLDER', 'SUBMITTED', 'FILE'],
            list.map(jobLine),
          ))
            ctx.out(line);
        return 0;
      }),
    );

  withSharedDirOptions(jobs.command('show'))
    .description('one job: its current view and every log record about it')
    .argument('<id>', 'job id')
    .option('--json', 'print as JSON')
    .action(
      action(ctx, async (jobId: string, opts: SharedDirOptions & JsonOption) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const state = await withAdminLog(opts, async (log) => log.state);
        const job = state.jobs.all.get(jobId);
        const records = [];
        for await (const e of readRecords(sharedDir)) {
          if ((e.record.data as { jobId?: unknown }).jobId === jobId) records.push(e.record);
        }
        if (job === undefined && records.length === 0) throw new DarkroomError('E_JOB_UNKNOWN', { jobId });
        if (opts.json) {
          ctx.out(JSON.stringify({ job: job ?? null, archived: isArchived(state.jobs, jobId), records }));
          return 0;
        }
        if (job !== undefined) {
          ctx.out(`job       ${job.jobId} (${job.channel})`);
          ctx.out(
            `state     ${job.state}, attempt ${job.attempt}${job.releases > 0 ? `, ${job.releases} releases` : ''}`,
          );
          if (job.deaths !== undefined)
            ctx.out(
              `died      ${job.deaths} attempt(s) died while processing; last: ${job.lastDeath ?? '-'}`,
            );
          ctx.out(`input     ${job.relPath} (${job.bytes} bytes) from ${job.source}`);
          if (job.outputs !== undefined) ctx.out(`outputs   ${job.outputs.join(', ') || '-'}`);
          if (job.error !== undefined)
            ctx.out(
              `error     ${job.error.code}: ${job.error.message}${job.error.badPath ? ` (${job.error.badPath})` : ''}`,
            );
          if (job.cancelled !== undefined)
            ctx.out(`cancelled by ${job.cancelled.by}: ${job.cancelled.reason}`);
        }
        if (job === undefined && isArchived(state.jobs, jobId))
          ctx.out(`job       ${jobId}: archived (finished; beyond ${retainFinishedKey}), history below`);
        ctx.out('history');
        for (const r of records) ctx.out(formatRecord(r));
        return 0;
      }),
    );

  withSharedDirOptions(jobs.command('retention'))
    .description(
      `show or set how many finished jobs every instance keeps in its projection (${retainFinishedKey}; older ones are archived: their history stays in the log)`,
    )
    .argument('[count]', 'finished jobs to keep (an integer >= 0)')
    .action(
      action(ctx, async (count: string | undefined, opts: SharedDirOptions) =>
        withAdminLog(opts, async (log) => {
          if (count === undefined) {
            const j = log.state.jobs;
            ctx.out(
              `${retainFinishedKey} = ${j.retainFinished} (${j.finishedCount} finished jobs kept, ${j.archived.size + j.archivedBase.length} archived)`,
            );
            return 0;
          }
          const value = /^\d+$/.test(count) ? Number(count) : NaN;
          if (!isRetainFinished(value))
            throw new DarkroomError('E_USAGE', {
              detail: `retention count must be an integer >= 0, not "${count}"`,
            });
          const [r] = await log.append([{ type: 'SettingChanged', data: { key: retainFinishedKey, value } }]);
          ctx.out(`${retainFinishedKey} = ${value} at seq ${r!.seq}`);
          return 0;
        }),
      ),
    );

  const actions: { name: JobAction['kind']; description: string; reason?: 'required' | 'optional' }[] = [
    { name: 'retry', description: 'submit a failed job again (JobRetried)' },
    { name: 'cancel', description: 'cancel a job that has not finished (JobCancelled)', reason: 'optional' },
    {
      name: 'approve',
      description: 'approve a job waiting in review: its output is published (JobApproved)',
    },
    { name: 'reject', description: 'reject a job waiting in review (JobRejected)', reason: 'required' },
  ];
  for (const a of actions) {
    const cmd = withSharedDirOptions(jobs.command(a.name))
      .description(a.description)
      .argument('<id>', 'job id');
    if (a.reason === 'required') cmd.requiredOption('--reason <text>', 'why (kept in the log)');
    if (a.reason === 'optional')
      cmd.option('--reason <text>', 'why (kept in the log)', 'cancelled by an operator');
    if (a.name === 'reject')
      cmd.option('--cancel', 'cancel the job instead of failing it (the original stays in work/)');
    cmd.option('--json', 'print the written record as JSON').action(
      action(
        ctx,
        async (
          jobId: string,
          opts: SharedDirOptions & JsonOption & { reason?: string; cancel?: boolean },
        ) => {
          const by = cliUser();
          const act: JobAction =
            a.name === 'cancel'
              ? { kind: 'cancel', by, reason: opts.reason ?? '' }
              : a.name === 'reject'
                ? { kind: 'reject', by, reason: opts.reason ?? '', cancel: opts.cancel === true }
                : { kind: a.name, by };
          return withAdminLog(opts, async (log) => {
            const d = decideJobAction(log.state, jobId, act);
            let records;
            try {
              records = await log.append(d.events, { conditions: d.conditions });
            } catch (err) {
              const job = log.state.jobs.all.get(jobId);
              if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED') || job === undefined) throw err;
              const detail = `changed by ${job.updated.by} at ${job.updated.ts} (seq ${job.updated.seq})`;
              throw new DarkroomError('E_JOB_STATE', { jobId, state: job.state, detail }, { cause: err });
            }
            const r = records[0]!;
            if (opts.json) ctx.out(JSON.stringify(r));
            else
              ctx.out(
                `job ${jobId}: ${r.type} at seq ${r.seq}; now ${log.state.jobs.all.get(jobId)?.state ?? '?'}`,
              );
            return 0;
          });
        },
      ),
    );
  }
}
