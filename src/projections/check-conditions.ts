// Append conditions checked against the projections at the tip: the first one that no longer
// holds, with a detail a person can act on ("channel press is at revision 4, changed by press2 at ...").
import { assertNever } from '../assert-never.js';
import type { Condition, ConditionFailure } from '../events/conditions.js';
import { actingCoordinator, incarnation } from './cluster.js';
import { isArchived } from './jobs.js';
import type { ProjectionState, Stamp } from './state.js';

/** Pure: the first condition that does not hold in `state`, or undefined when all hold. */
export function checkConditions(
  state: ProjectionState,
  conditions: readonly Condition[],
): ConditionFailure | undefined {
  for (const condition of conditions) {
    const detail = failure(state, condition);
    if (detail !== undefined) return Object.freeze({ condition, detail });
  }
  return undefined;
}

function at(stamp: Stamp): string {
  return `by ${stamp.by} at ${stamp.ts} (seq ${stamp.seq})`;
}

/** Why `c` does not hold, or undefined when it does. Mirrors the replay rules' fences. */
function failure(state: ProjectionState, c: Condition): string | undefined {
  const { cluster, config, jobs } = state;
  switch (c.kind) {
    case 'term': {
      if (cluster.term === c.term) return undefined;
      const e = cluster.coordinator;
      return e === undefined
        ? `coordinator term is ${cluster.term}`
        : `coordinator term is ${cluster.term}: ${e.instanceId} was elected ${at(e.elected)}`;
    }
    case 'coordinator': {
      const acting = actingCoordinator(cluster);
      if (acting?.instanceId === c.instanceId && acting.inc === c.inc && acting.term === c.term)
        return undefined;
      if (cluster.term !== c.term) return `coordinator term is ${cluster.term}`;
      const e = cluster.coordinator;
      if (e === undefined) return `no coordinator has been elected`;
      if (e.instanceId !== c.instanceId || e.inc !== c.inc) {
        return `${e.instanceId} (inc ${e.inc}) is coordinator of term ${e.term}`;
      }
      const status = incarnation(cluster, e.instanceId, e.inc)?.status ?? 'replaced by a newer incarnation';
      return `coordinator ${e.instanceId} (inc ${e.inc}) is ${status}`;
    }
    case 'channelRevision': {
      const ch = config.channels.get(c.channel);
      if (c.revision === 0) {
        return ch === undefined
          ? undefined
          : `channel ${c.channel} exists (revision ${ch.revision}, created ${at(ch.created)})`;
      }
      if (ch === undefined) return `channel ${c.channel} does not exist`;
      if (ch.revision === c.revision) return undefined;
      return `channel ${c.channel} is at revision ${ch.revision}, changed ${at(ch.updated)}`;
    }
    case 'jobState': {
      const job = jobs.all.get(c.jobId);
      if (job === undefined)
        return isArchived(jobs, c.jobId)
          ? `job ${c.jobId} is archived (finished, beyond jobs.retainFinished)`
          : `job ${c.jobId} does not exist`;
      if (c.states.includes(job.state) && (c.attempt === undefined || c.attempt === job.attempt))
        return undefined;
      const holder = job.instanceId === undefined ? '' : ` on ${job.instanceId} (inc ${job.inc ?? '-'})`;
      return `job ${c.jobId} is ${job.state} at attempt ${job.attempt}${holder}, changed ${at(job.updated)}`;
    }
    case 'jobAbsent': {
      const job = jobs.all.get(c.jobId);
      if (job !== undefined) return `job ${c.jobId} exists (${job.state}, submitted ${at(job.submitted)})`;
      return isArchived(jobs, c.jobId) ? `job ${c.jobId} exists (archived: finished)` : undefined;
    }
    case 'incarnation': {
      const view = cluster.instances.get(c.instanceId);
      if (view === undefined) return `${c.instanceId} has never started`;
      if (view.inc !== c.inc)
        return `${c.instanceId} is now incarnation ${view.inc}, started ${at(view.started)}`;
      return (c.statuses ?? ['started']).some((st) => st === view.status)
        ? undefined
        : `${c.instanceId} incarnation ${c.inc} is ${view.status} (${at(view.updated)})`;
    }
    default:
      return assertNever(c, 'condition');
  }
}
