// The replay rules every reader applies identically: whether a record takes effect or is ignored
// (and counted). Fencing by coordinator term and writer, by job attempt and holder, by
// incarnation; and the legal transitions of channels, users, instances and jobs.
import { assertNever } from '../assert-never.js';
import type { JobState } from '../events/event-types.js';
import type { LogRecord } from '../events/log-record.js';
import { actingCoordinator, incarnation, isLive } from './cluster.js';
import { isArchived, isRetainFinished, retainFinishedKey } from './jobs.js';
import type { ProjectionState } from './state.js';

/**
 * Pure: why `record` must be ignored in `state`, or undefined when it applies. Coordinator-only
 * events must carry the current term and come from the acting coordinator; worker events must
 * come from the current holder of the job's current attempt; every other event must find the
 * state it changes (a channel at the expected revision, a job in the right state, ...).
 */
export function ignoreReason(state: ProjectionState, record: LogRecord): string | undefined {
  const { cluster, config, jobs } = state;
  switch (record.type) {
    case 'InstanceStarted':
    case 'BatchRepaired':
    case 'OperatorNote':
    case 'FilesPurged':
      return undefined;
    case 'SettingChanged': {
      const { key, value } = record.data;
      return key === retainFinishedKey && !isRetainFinished(value)
        ? `${key} must be an integer >= 0, not ${JSON.stringify(value)}`
        : undefined;
    }
    case 'InstanceStopping': {
      const { instanceId, inc } = record.data;
      return isLive(cluster, instanceId, inc) ? undefined : `${instanceId} incarnation ${inc} is not started`;
    }
    case 'InstanceStopped':
      return endable(state, record.data.instanceId, record.data.inc);
    case 'InstanceLost':
      return coordinatorFence(state, record) ?? endable(state, record.data.instanceId, record.data.inc);
    case 'CoordinatorElected':
      return electionRule(state, record);
    case 'ChannelCreated':
      return config.channels.has(record.data.channel) ? `channel ${record.data.channel} exists` : undefined;
    case 'ChannelUpdated':
    case 'ChannelDeleted': {
      const ch = config.channels.get(record.data.channel);
      if (ch === undefined) return `channel ${record.data.channel} does not exist`;
      return ch.revision === record.data.revision
        ? undefined
        : `channel ${ch.name} is at revision ${ch.revision}, not ${record.data.revision}`;
    }
    case 'ChannelPaused':
    case 'ChannelResumed':
      return config.channels.has(record.data.channel)
        ? undefined
        : `channel ${record.data.channel} does not exist`;
    case 'ChannelStandbyEntered':
    case 'ChannelStandbyLeft':
      return (
        coordinatorFence(state, record) ??
        (config.channels.has(record.data.channel)
          ? undefined
          : `channel ${record.data.channel} does not exist`)
      );
    case 'UserAdded':
      return config.users.has(record.data.user) ? `user ${record.data.user} exists` : undefined;
    case 'UserChanged':
    case 'UserRemoved':
    case 'TokenCreated':
      return config.users.has(record.data.user) ? undefined : `user ${record.data.user} does not exist`;
    case 'TokenRevoked': {
      const user = config.users.get(record.data.user);
      if (user === undefined) return `user ${record.data.user} does not exist`;
      return user.tokens?.some((t) => t.tokenId === record.data.tokenId) === true
        ? undefined
        : `user ${record.data.user} has no token ${record.data.tokenId}`;
    }
    case 'JobSubmitted':
      if (jobs.all.has(record.data.jobId)) return `job ${record.data.jobId} exists`;
      return isArchived(jobs, record.data.jobId) ? `job ${record.data.jobId} exists (archived)` : undefined;
    case 'JobAssigned': {
      const fence = coordinatorFence(state, record);
      if (fence !== undefined) return fence;
      const d = record.data;
      const job = jobs.all.get(d.jobId);
      if (job === undefined) return absent(state, d.jobId);
      if (job.state !== 'submitted') return `job ${d.jobId} is ${job.state}, not submitted`;
      if (d.attempt !== job.attempt + 1) return `attempt ${d.attempt} is not ${job.attempt + 1}`;
      return isLive(cluster, d.instanceId, d.inc)
        ? undefined
        : `${d.instanceId} incarnation ${d.inc} is not started`;
    }
    case 'JobStarted': {
      const fence = workerFence(state, record, record.data.jobId, record.data.attempt, ['assigned']);
      if (fence !== undefined) return fence;
      return record.data.instanceId === record.by
        ? undefined
        : `names ${record.data.instanceId}, written by ${record.by}`;
    }
    case 'JobCompleted':
    case 'JobFailed':
    case 'JobReviewRequested':
    case 'JobReleased':
      return workerFence(state, record, record.data.jobId, record.data.attempt, ['assigned', 'processing']);
    case 'JobApproved':
    case 'JobRejected':
      return jobIn(state, record.data.jobId, ['review']);
    case 'JobRetried':
      return jobIn(state, record.data.jobId, ['failed']);
    case 'JobCancelled':
      return jobIn(state, record.data.jobId, ['submitted', 'assigned', 'processing', 'review']);
    default:
      return assertNever(record, 'event');
  }
}

/** Coordinator-only events: the envelope's term is current and the writer is the acting coordinator. */
function coordinatorFence(state: ProjectionState, record: LogRecord): string | undefined {
  const { cluster } = state;
  if (record.term !== cluster.term) return `stale term ${record.term} (current term ${cluster.term})`;
  const c = actingCoordinator(cluster);
  if (c === undefined) return `no acting coordinator in term ${cluster.term}`;
  if (record.by !== c.instanceId || record.inc !== c.inc) {
    return `written by ${record.by} (inc ${record.inc}), not by coordinator ${c.instanceId} (inc ${c.inc}) of term ${c.term}`;
  }
  return undefined;
}

/** Worker events: the job is in `states` at `attempt`, and the writer is the incarnation holding it. */
function workerFence(
  state: ProjectionState,
  record: LogRecord,
  jobId: string,
  attempt: number,
  states: readonly JobState[],
): string | undefined {
  const job = state.jobs.all.get(jobId);
  if (job === undefined) return absent(state, jobId);
  if (job.attempt !== attempt) return `stale attempt ${attempt} (job ${jobId} is at attempt ${job.attempt})`;
  if (!states.includes(job.state)) return `job ${jobId} is ${job.state}`;
  if (job.instanceId !== record.by || job.inc !== record.inc) {
    return `written by ${record.by} (inc ${record.inc}), not by holder ${job.instanceId ?? '-'} (inc ${job.inc ?? '-'})`;
  }
  return undefined;
}

/** Why a job that `all` lacks cannot be changed: never submitted, or archived by the retention. */
function absent(state: ProjectionState, jobId: string): string {
  return isArchived(state.jobs, jobId)
    ? `job ${jobId} is archived (finished, beyond jobs.retainFinished)`
    : `job ${jobId} does not exist`;
}

function jobIn(state: ProjectionState, jobId: string, states: readonly JobState[]): string | undefined {
  const job = state.jobs.all.get(jobId);
  if (job === undefined) return absent(state, jobId);
  return states.includes(job.state) ? undefined : `job ${jobId} is ${job.state}`;
}

/** Stopped or lost: only the current incarnation, and only once (started or stopping). */
function endable(state: ProjectionState, instanceId: string, inc: number): string | undefined {
  const status = incarnation(state.cluster, instanceId, inc)?.status;
  return status === 'started' || status === 'stopping'
    ? undefined
    : `${instanceId} incarnation ${inc} is ${status ?? 'not current'}`;
}

/**
 * CoordinatorElected: written in term n for term n + 1, electing a started incarnation, by the
 * elected incarnation itself or by the acting coordinator handing over. Terms only grow, and at
 * most one election per term takes effect.
 */
function electionRule(
  state: ProjectionState,
  record: Extract<LogRecord, { type: 'CoordinatorElected' }>,
): string | undefined {
  const { cluster } = state;
  const d = record.data;
  if (record.term !== cluster.term) return `stale term ${record.term} (current term ${cluster.term})`;
  if (d.term !== cluster.term + 1) return `term ${d.term} does not follow term ${cluster.term}`;
  if (!isLive(cluster, d.instanceId, d.inc)) return `${d.instanceId} incarnation ${d.inc} is not started`;
  if (record.by === d.instanceId && record.inc === d.inc) return undefined;
  const c = actingCoordinator(cluster);
  if (c !== undefined && record.by === c.instanceId && record.inc === c.inc) return undefined;
  return `written by ${record.by} (inc ${record.inc}), neither the elected incarnation nor the acting coordinator`;
}
