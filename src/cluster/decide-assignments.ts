// decideAssignments: pure decider handing submitted jobs to live instances with free slots.
// Higher channel priority first; round-robin across channels of equal priority, starting with
// the channel served least recently; never to a stopping, stopped or lost instance, nor to one
// the failure detector judges unfit (storage stalled, quiet). By default an instance holds one
// job ahead per slot (aheadPerSlot), so a freed slot never waits for the coordinator.
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
  /**
   * Jobs each fit instance may hold beyond its slots, per slot, waiting assigned so that a slot
   * that frees starts its next job without a round trip through the coordinator (the worker then
   * starts it in the outcome's batch). Default AHEAD_PER_SLOT (1). Unavailable instances get
   * none; a worker starts a held job only in a free slot (never more processing than slots).
   */
  readonly aheadPerSlot?: number;
}

export interface AssignmentDecision {
  readonly events: readonly JobAssignedEvent[];
  readonly conditions: readonly Condition[];
}

/** Jobs assigned ahead per slot by default (AssignmentOptions.aheadPerSlot). */
export const AHEAD_PER_SLOT = 1;

/** Channel priority (settings.priority, 0-100, higher first); 50 when absent or not a number. */
export const DEFAULT_PRIORITY = 50;

export function channelPriority(channel: ChannelView): number {
  const p = channel.settings.priority;
  return typeof p === 'number' && Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : DEFAULT_PRIORITY;
}

interface Slot {
  readonly view: InstanceView;
  /** Jobs it runs at once (0 when unfit). */
  readonly slots: number;
  /** Jobs it may hold: its slots plus the ones assigned ahead. */
  readonly most: number;
  /** Jobs it holds (assigned or processing), counting this decision's. */
  held: number;
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

  const ahead = Math.max(0, Math.floor(options.aheadPerSlot ?? AHEAD_PER_SLOT));
  const slots: Slot[] = [];
  for (const view of cluster.instances.values()) {
    if (view.status === 'started') {
      const fit = options.unavailable?.has(view.instanceId) !== true;
      const n = fit ? view.slots : 0;
      slots.push({ view, slots: n, most: n * (1 + ahead), held: 0 });
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
    if (slot !== undefined) slot.held += 1;
  }
  let free = slots.reduce((n, s) => n + Math.max(0, s.most - s.held), 0);
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
      slot.held += 1;
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

/**
 * The live instance with the most free slots (ties: the earliest incarnation); when every slot is
 * taken, the one with the most room ahead. So a job waits ahead on a busy instance only when no
 * instance has a free slot.
 */
function roomiest(slots: readonly Slot[]): Slot | undefined {
  let best: Slot | undefined;
  let bestRoom = 0;
  for (const s of slots) {
    const room = s.slots - s.held;
    if (room > 0 && (room > bestRoom || (room === bestRoom && s.view.inc < best!.view.inc))) {
      best = s;
      bestRoom = room;
    }
  }
  if (best !== undefined) return best;
  for (const s of slots) {
    const room = s.most - s.held;
    if (room > 0 && (room > bestRoom || (room === bestRoom && s.view.inc < best!.view.inc))) {
      best = s;
      bestRoom = room;
    }
  }
  return best;
}
