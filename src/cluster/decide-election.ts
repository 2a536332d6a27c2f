// decideElection: pure decider for coordinator elections. When no coordinator is alive, a live
// instance proposes itself for the next term; the log's term condition lets at most one proposal
// per term through. The earliest-started live instance (lowest incarnation, never wall-clock time;
// ties, which cannot happen in one log, broken by instance id) proposes first; the k-th in that
// order proposes once the gap has lasted k × stepMs, so an election converges even when the
// earliest candidates are alive but do not act (whoever died before, whatever they believe).
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { incarnation, isLive } from '../projections/cluster.js';
import type { InstanceView, ProjectionState } from '../projections/state.js';

export type CoordinatorElectedEvent = Extract<DarkroomEvent, { type: 'CoordinatorElected' }>;

export interface ElectionSelf {
  readonly instanceId: string;
  readonly inc: number;
}

export interface ElectionOptions {
  /**
   * Instance ids the caller judges silent or unfit (heartbeats and drive-side signs quiet for the
   * failure timeout, or storage stalled). They count as not alive: neither coordinator nor
   * candidate. The projection alone cannot know this; without it only stopping/stopped/lost count.
   * An instance never counts itself in this set.
   */
  readonly silent?: ReadonlySet<string>;
  /**
   * The caller judges the projection's coordinator not alive although it is started: its lease
   * and heartbeats are quiet, or it is the caller itself and no longer acts (stepped down).
   */
  readonly coordinatorGone?: boolean;
  /** How long (ms, the caller's monotonic clock) the caller has seen no live coordinator. Default 0. */
  readonly gapForMs?: number;
  /** Delay per rank: the k-th candidate proposes once gapForMs >= k × stepMs. Default Infinity (only the first). */
  readonly stepMs?: number;
}

export interface ElectionDecision {
  readonly events: readonly CoordinatorElectedEvent[];
  readonly conditions: readonly Condition[];
}

const nothing: ElectionDecision = Object.freeze({ events: [], conditions: [] });

/** Pure: the live candidates in election order (lowest incarnation first, then instance id). */
export function electionOrder(
  state: ProjectionState,
  self: ElectionSelf,
  silent?: ReadonlySet<string>,
): InstanceView[] {
  const out: InstanceView[] = [];
  for (const view of state.cluster.instances.values()) {
    if (view.status !== 'started') continue;
    if (view.instanceId !== self.instanceId && silent?.has(view.instanceId) === true) continue;
    out.push(view);
  }
  return out.sort(
    (a, b) => a.inc - b.inc || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0),
  );
}

/**
 * Pure: CoordinatorElected for term n + 1 naming `self`, with conditions "term is still n" and
 * "self's incarnation is live", when no coordinator is alive and `self` is the first live
 * candidate, or the k-th and the gap has lasted k × stepMs. Empty otherwise (a coordinator is
 * alive, self is not live, or it is not self's turn yet).
 */
export function decideElection(
  state: ProjectionState,
  self: ElectionSelf,
  options: ElectionOptions = {},
): ElectionDecision {
  const { cluster } = state;
  const silent = (instanceId: string): boolean =>
    instanceId !== self.instanceId && options.silent?.has(instanceId) === true;
  if (!isLive(cluster, self.instanceId, self.inc)) return nothing;
  const c = cluster.coordinator;
  if (
    c !== undefined &&
    incarnation(cluster, c.instanceId, c.inc)?.status === 'started' &&
    !silent(c.instanceId) &&
    options.coordinatorGone !== true
  ) {
    return nothing;
  }
  const order = electionOrder(state, self, options.silent);
  const rank = order.findIndex((v) => v.instanceId === self.instanceId && v.inc === self.inc);
  if (rank < 0) return nothing;
  if (rank > 0 && !((options.gapForMs ?? 0) >= rank * (options.stepMs ?? Infinity))) return nothing;
  const term = cluster.term;
  const decision: ElectionDecision = {
    events: [
      { type: 'CoordinatorElected', data: { instanceId: self.instanceId, inc: self.inc, term: term + 1 } },
    ],
    conditions: [
      { kind: 'term', term },
      { kind: 'incarnation', instanceId: self.instanceId, inc: self.inc },
    ],
  };
  return Object.freeze(decision);
}
