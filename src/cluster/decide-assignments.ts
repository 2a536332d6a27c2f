// decideAssignments: pure decider handing submitted jobs to live instances with free slots.
// Higher channel priority first; round-robin across channels of equal priority, starting with
// the channel served least recently; never to a stopping, stopped or lost instance, nor to one
// the failure detector judges unfit (storage stalled, quiet).
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { actingCoordinator } from '../projections/cluster.js';
import { isHeldBy } from '../projections/jobs.js';
import type { ChannelView, InstanceView, JobView, ProjectionState } from '../projections/state.js';

export type JobAssignedEvent = Extract<DarkroomEvent, { type: 'JobAssigned' }>;

export interface AssigningCoordinator {
  readonly instanceId: string;
  readonly inc: number;
  readonly term: number;
}

export interface AssignmentOptions {
  /**
   * Instance ids that get no new work now although the log says started: the failure detector
   * judges them storage-stalled or quiet (heartbeats and drive signs) for half the failure
   * timeout. Their held jobs still count against their slots.
   */
  readonly unavailable?: ReadonlySet<string>;
}

export interface AssignmentDecision {
  readonly events: readonly JobAssignedEvent[];
  readonly conditions: readonly Condition[];
}

/** Channel priority (settings.priority, 0-100, higher first); 50 when absent or not a number. */
export const DEFAULT_PRIORITY = 50;

export function channelPriority(channel: ChannelView): number {
  const p = channel.settings.priority;
  return typeof p === 'number' && Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : DEFAULT_PRIORITY;
}

interface Slot {
  readonly view: InstanceView;
  free: number;
}

const nothing: AssignmentDecision = Object.freeze({ events: [], conditions: [] });

/**
 * Pure: the JobAssigned events `coordinator` should append now, and the conditions they rest on
 * (the coordinator of the term, each job submitted at its attempt, each assignee's incarnation
 * live). Nothing when `coordinator` is not the started coordinator of the current term. Jobs of
 * paused or deleted channels wait; a standby channel's jobs are assigned (their input is in work/).
 */
export function decideAssignments(
  state: ProjectionState,
  coordinator: AssigningCoordinator,
  options: AssignmentOptions = {},
): AssignmentDecision {
  const { cluster, jobs, config } = state;
  const acting = actingCoordinator(cluster);
  if (
    acting === undefined ||
    acting.instanceId !== coordinator.instanceId ||
    acting.inc !== coordinator.inc ||
    acting.term !== coordinator.term ||
    cluster.instances.get(acting.instanceId)?.status !== 'started'
  ) {
    return nothing;
  }

  const slots: Slot[] = [];
  for (const view of cluster.instances.values()) {
    if (view.status === 'started') {
      const fit = options.unavailable?.has(view.instanceId) !== true;
      slots.push({ view, free: fit ? view.slots : 0 });
    }
  }
  const waiting = new Map<string, JobView[]>();
  for (const id of jobs.open) {
    const job = jobs.all.get(id);
    if (job === undefined) continue;
    if (job.state === 'submitted') {
      const channel = config.channels.get(job.channel);
      if (channel === undefined || channel.paused) continue;
      const queue = waiting.get(job.channel);
      if (queue === undefined) waiting.set(job.channel, [job]);
      else queue.push(job);
      continue;
    }
    const slot = slots.find((s) => isHeldBy(job, s.view.instanceId, s.view.inc));
    if (slot !== undefined) slot.free -= 1;
  }
  let free = slots.reduce((n, s) => n + Math.max(0, s.free), 0);
  if (free === 0 || waiting.size === 0) return nothing;

  const order = [...waiting.keys()].sort((a, b) => {
    const pa = channelPriority(config.channels.get(a)!);
    const pb = channelPriority(config.channels.get(b)!);
    if (pa !== pb) return pb - pa;
    const la = jobs.lastAssigned.get(a) ?? 0;
    const lb = jobs.lastAssigned.get(b) ?? 0;
    if (la !== lb) return la - lb;
    return a < b ? -1 : a > b ? 1 : 0;
  });

  const events: JobAssignedEvent[] = [];
  const conditions: Condition[] = [{ kind: 'coordinator', ...coordinator }];
  const assignees = new Set<Slot>();
  let i = 0;
  while (free > 0) {
    // One round per tier: each channel of the highest remaining priority gives one job in turn.
    const tier = channelPriority(config.channels.get(order[i]!)!);
    let gave = false;
    for (let j = i; j < order.length && free > 0; j++) {
      const name = order[j]!;
      if (channelPriority(config.channels.get(name)!) !== tier) break;
      const job = waiting.get(name)!.shift();
      if (job === undefined) continue;
      const slot = roomiest(slots)!;
      slot.free -= 1;
      free -= 1;
      gave = true;
      assignees.add(slot);
      const { instanceId, inc } = slot.view;
      events.push({
        type: 'JobAssigned',
        data: { jobId: job.jobId, instanceId, inc, attempt: job.attempt + 1 },
      });
      conditions.push({ kind: 'jobState', jobId: job.jobId, states: ['submitted'], attempt: job.attempt });
    }
    if (!gave) {
      while (i < order.length && channelPriority(config.channels.get(order[i]!)!) === tier) i++;
      if (i >= order.length) break;
    }
  }
  for (const slot of assignees) {
    conditions.push({ kind: 'incarnation', instanceId: slot.view.instanceId, inc: slot.view.inc });
  }
  return Object.freeze({ events, conditions });
}

/** The live instance with the most free slots (ties: the earliest incarnation). */
function roomiest(slots: readonly Slot[]): Slot | undefined {
  let best: Slot | undefined;
  for (const s of slots) {
    if (s.free <= 0) continue;
    if (best === undefined || s.free > best.free || (s.free === best.free && s.view.inc < best.view.inc))
      best = s;
  }
  return best;
}
