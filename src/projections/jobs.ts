// The jobs projection: every job and its state machine (submitted -> assigned -> processing ->
// completed | failed | review), releases when an instance's incarnation ends, and the open set
// the coordinator assigns from. Pure reducer; the replay rules decide beforehand what applies.
import { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import { assertNever } from '../assert-never.js';
import type { JobState } from '../events/event-types.js';
import type { LogRecord } from '../events/log-record.js';
import { incarnation } from './cluster.js';
import type { ClusterState, FinishEntry, JobsState, JobView } from './state.js';
import { defined, revise, stampOf, view as newView } from './views.js';

/** States in which a job occupies a slot of its holder. */
export const heldStates: readonly JobState[] = ['assigned', 'processing'];
/** States from which no event but JobRetried (failed) moves a job on. */
export const finalStates: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/** Finished jobs the projection keeps when the log never set `jobs.retainFinished`. */
export const defaultRetainFinished = 10_000;
/** The global setting (SettingChanged) that changes it: an integer >= 0. */
export const retainFinishedKey = 'jobs.retainFinished';

export function initialJobs(): JobsState {
  return Object.freeze({
    all: IMap<string, JobView>(),
    open: OrderedSet<string>(),
    lastAssigned: IMap<string, number>(),
    retainFinished: defaultRetainFinished,
    finishedCount: 0,
    finishOrder: List<FinishEntry>(),
    archivedBase: Object.freeze<string[]>([]),
    archived: ISet<string>(),
  });
}

/** True when `value` is a valid `jobs.retainFinished`. */
export function isRetainFinished(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** True when job `jobId` finished and was dropped from `all` by the retention (see `archive`). */
export function isArchived(jobs: JobsState, jobId: string): boolean {
  if (jobs.archived.has(jobId)) return true;
  const base = jobs.archivedBase;
  let lo = 0;
  let hi = base.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = base[mid]!;
    if (v === jobId) return true;
    if (v < jobId) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** Every archived id, sorted (for the snapshot). */
export function archivedIds(jobs: JobsState): string[] {
  const recent = [...jobs.archived].sort(compareIds);
  const base = jobs.archivedBase;
  if (recent.length === 0) return [...base];
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < recent.length) {
    if (j >= recent.length || (i < base.length && base[i]! < recent[j]!)) out.push(base[i++]!);
    else out.push(recent[j++]!);
  }
  return out;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True while `job` occupies a slot of `instanceId` incarnation `inc`. */
export function isHeldBy(job: JobView, instanceId: string, inc: number): boolean {
  return heldStates.includes(job.state) && job.instanceId === instanceId && job.inc === inc;
}

/** Attempts of `job` that died while processing (poison jobs: docs/operations.md). */
export function deathsOf(job: JobView): number {
  return job.deaths ?? 0;
}

/**
 * Pure: the jobs projection after `record`. Expects the replay rules (apply-record.ts) to have
 * accepted the record; an event that does not concern jobs returns `jobs` itself. `cluster` is
 * the cluster projection before `record` (whether a release's writer was stopping). The maps may
 * be mutable (applyBatch): only their return values are used, and reads come before writes.
 */
export function reduceJobs(jobs: JobsState, record: LogRecord, cluster?: ClusterState): JobsState {
  switch (record.type) {
    case 'JobSubmitted': {
      const d = record.data;
      const stamp = stampOf(record);
      const view: JobView = newView({
        jobId: d.jobId,
        channel: d.channel,
        state: 'submitted' as const,
        attempt: 0,
        source: d.source,
        relPath: d.relPath,
        workDir: d.workDir,
        file: d.file,
        bytes: d.bytes,
        ticket: d.ticket === undefined ? undefined : Object.freeze({ ...d.ticket }),
        submitted: stamp,
        updated: stamp,
        releases: 0,
      });
      return revise(jobs, { all: jobs.all.set(d.jobId, view), open: jobs.open.add(d.jobId) });
    }
    case 'JobAssigned': {
      const d = record.data;
      const channel = jobs.all.get(d.jobId)?.channel;
      if (channel === undefined) return jobs;
      const next = change(jobs, record, d.jobId, 'assigned', {
        attempt: d.attempt,
        instanceId: d.instanceId,
        inc: d.inc,
      });
      return revise(next, { lastAssigned: next.lastAssigned.set(channel, record.seq) });
    }
    case 'JobStarted':
      return change(jobs, record, record.data.jobId, 'processing', {});
    case 'JobCompleted': {
      const d = record.data;
      return change(
        jobs,
        record,
        d.jobId,
        'completed',
        defined({
          outcome: d.outcome,
          outputs: Object.freeze([...d.outputs]),
          original: d.original,
          timingsMs: Object.freeze({ ...d.timingsMs }),
          verdict: d.verdict,
        }),
      );
    }
    case 'JobFailed': {
      const d = record.data;
      const error = defined({ code: d.code, message: d.message, badPath: d.badPath });
      return change(jobs, record, d.jobId, 'failed', { error });
    }
    case 'JobReviewRequested': {
      const d = record.data;
      return change(jobs, record, d.jobId, 'review', defined({ verdict: d.verdict, preview: d.preview }));
    }
    case 'JobApproved': {
      const review = Object.freeze({
        decision: 'approved' as const,
        by: record.data.by,
        at: stampOf(record),
      });
      return change(jobs, record, record.data.jobId, 'completed', { review });
    }
    case 'JobRejected': {
      const d = record.data;
      const review = Object.freeze({
        decision: 'rejected' as const,
        by: d.by,
        reason: d.reason,
        at: stampOf(record),
      });
      if (d.to === 'cancelled') {
        const cancelled = Object.freeze({ by: d.by, reason: d.reason });
        return change(jobs, record, d.jobId, 'cancelled', { review, cancelled });
      }
      const error = Object.freeze({
        code: 'E_JOB_REJECTED',
        message: `job ${d.jobId} was rejected in review by ${d.by}: ${d.reason}`,
      });
      return change(jobs, record, d.jobId, 'failed', { review, error });
    }
    case 'JobReleased': {
      const job = jobs.all.get(record.data.jobId);
      if (job === undefined) return jobs;
      // A release by a stopping incarnation is its drain; by a started one, a fault of the attempt.
      const writer = cluster === undefined ? undefined : incarnation(cluster, record.by, record.inc);
      const death =
        writer?.status === 'started'
          ? `released by ${record.by} after a fault: ${record.data.reason}`
          : undefined;
      return revise(jobs, { all: jobs.all.set(job.jobId, released(job, record, death)) });
    }
    case 'JobRetried':
      return change(jobs, record, record.data.jobId, 'submitted', {}, [
        'error',
        'review',
        'instanceId',
        'inc',
        'deaths',
        'lastDeath',
      ]);
    case 'JobCancelled': {
      const cancelled = Object.freeze({ by: record.data.by, reason: record.data.reason });
      return change(jobs, record, record.data.jobId, 'cancelled', { cancelled });
    }
    case 'InstanceStarted':
      // A new incarnation replaces the old one: whatever the old one held goes back, and what it
      // was processing died with it (it restarted without stopping).
      return releaseHeld(
        jobs,
        record,
        record.data.instanceId,
        (inc) => inc !== record.seq,
        (job) => `${job.instanceId ?? '?'} (inc ${job.inc ?? '?'}) restarted while processing it`,
      );
    case 'InstanceStopped': {
      const { instanceId, inc } = record.data;
      return releaseHeld(jobs, record, instanceId, (held) => held === inc);
    }
    case 'InstanceLost': {
      const { instanceId, inc, reason } = record.data;
      return releaseHeld(
        jobs,
        record,
        instanceId,
        (held) => held === inc,
        () => `${instanceId} (inc ${inc}) was lost while processing it: ${reason}`,
      );
    }
    case 'SettingChanged': {
      const { key, value } = record.data;
      if (key !== retainFinishedKey || !isRetainFinished(value)) return jobs;
      return archive(revise(jobs, { retainFinished: value }));
    }
    case 'InstanceStopping':
    case 'CoordinatorElected':
    case 'BatchRepaired':
    case 'OperatorNote':
    case 'ChannelCreated':
    case 'ChannelUpdated':
    case 'ChannelDeleted':
    case 'ChannelPaused':
    case 'ChannelResumed':
    case 'ChannelStandbyEntered':
    case 'ChannelStandbyLeft':
    case 'UserAdded':
    case 'UserChanged':
    case 'UserRemoved':
    case 'TokenCreated':
    case 'TokenRevoked':
    case 'FilesPurged':
      return jobs;
    default:
      return assertNever(record, 'event');
  }
}

/** Moves one job to `state` with `patch`; keeps `open` in step (final states leave it, reopening joins the back). */
function change(
  jobs: JobsState,
  record: LogRecord,
  jobId: string,
  state: JobState,
  patch: Partial<JobView>,
  drop: readonly (keyof JobView)[] = [],
): JobsState {
  const job = jobs.all.get(jobId);
  if (job === undefined) return jobs;
  // Read before revise: inside applyBatch, a view made in the batch is changed in place.
  const wasFinal = finalStates.includes(job.state);
  const isFinal = finalStates.includes(state);
  const next = revise(job, { ...patch, state, updated: stampOf(record) }, drop);
  const all = jobs.all.set(jobId, next);
  if (!isFinal) {
    const open = jobs.open.add(jobId);
    return revise(jobs, wasFinal ? { all, open, finishedCount: jobs.finishedCount - 1 } : { all, open });
  }
  const entry: FinishEntry = [jobId, record.seq];
  return archive(
    revise(jobs, {
      all,
      open: jobs.open.delete(jobId),
      finishOrder: jobs.finishOrder.push(entry),
      finishedCount: jobs.finishedCount + (wasFinal ? 0 : 1),
    }),
  );
}

/**
 * The retention: while more than `retainFinished` finished jobs are in `all`, the one finished
 * longest ago leaves `all` and its id joins `archived` (its events stay in the log; `jobs show`
 * reads them there). Head entries whose job has moved on since (stale) are dropped on the way.
 */
function archive(jobs: JobsState): JobsState {
  if (jobs.finishedCount <= jobs.retainFinished) return jobs;
  let { all, finishOrder, finishedCount, archived } = jobs;
  while (finishedCount > jobs.retainFinished) {
    const head = finishOrder.first();
    if (head === undefined) break;
    finishOrder = finishOrder.shift();
    const [jobId, seq] = head;
    const job = all.get(jobId);
    if (job === undefined || job.updated.seq !== seq || !finalStates.includes(job.state)) continue;
    all = all.delete(jobId);
    archived = archived.add(jobId);
    finishedCount -= 1;
  }
  return revise(jobs, { all, finishOrder, finishedCount, archived });
}

/** The job back to submitted; `death` (how it died) counts the attempt as died when it was processing. */
function released(job: JobView, record: LogRecord, death?: string): JobView {
  const patch: Partial<JobView> = {
    state: 'submitted',
    releases: job.releases + 1,
    updated: stampOf(record),
  };
  const died = death !== undefined && job.state === 'processing';
  return revise(job, died ? { ...patch, deaths: deathsOf(job) + 1, lastDeath: death } : patch, [
    'instanceId',
    'inc',
  ]);
}

/**
 * Releases every job `instanceId` holds in an incarnation matching `incMatches`; `death` says how
 * a processing one died (absent: a graceful end, no death counted).
 */
function releaseHeld(
  jobs: JobsState,
  record: LogRecord,
  instanceId: string,
  incMatches: (inc: number) => boolean,
  death?: (job: JobView) => string,
): JobsState {
  let all = jobs.all;
  for (const id of jobs.open) {
    const job = all.get(id);
    if (job === undefined || !heldStates.includes(job.state) || job.instanceId !== instanceId) continue;
    if (job.inc === undefined || !incMatches(job.inc)) continue;
    all = all.set(id, released(job, record, death?.(job)));
  }
  return all === jobs.all ? jobs : revise(jobs, { all });
}
