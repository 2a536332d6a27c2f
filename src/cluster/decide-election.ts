// decideElection: pure decider for coordinator elections. When no coordinator is alive, the
// earliest-started live instance (lowest incarnation, never wall-clock time) proposes itself for
// the next term; the log's term condition lets at most one proposal per term through.
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { incarnation, isLive } from '../projections/cluster.js';
import type { ProjectionState } from '../projections/state.js';

export type CoordinatorElectedEvent = Extract<DarkroomEvent, { type: 'CoordinatorElected' }>;

export interface ElectionSelf {
  readonly instanceId: string;
  readonly inc: number;
}

export interface ElectionOptions {
  /**
   * Instance ids whose current incarnation the caller judges silent (heartbeats and lease quiet
   * for the failure timeout). They count as not alive: neither coordinator nor candidate. The
   * projection alone cannot know this; without it only stopping/stopped/lost counts as dead.
   */
  readonly silent?: ReadonlySet<string>;
}

export interface ElectionDecision {
  readonly events: readonly CoordinatorElectedEvent[];
  readonly conditions: readonly Condition[];
}

/**
 * Pure: CoordinatorElected for term n + 1 naming `self`, with conditions "term is still n" and
 * "self's incarnation is live", when no coordinator is alive and `self` is the live instance
 * with the lowest incarnation; undefined otherwise (a coordinator is alive, self is not live,
 * or another instance started earlier).
 */
export function decideElection(
  state: ProjectionState,
  self: ElectionSelf,
  options: ElectionOptions = {},
): ElectionDecision | undefined {
  const { cluster } = state;
  const silent = (instanceId: string): boolean =>
    instanceId !== self.instanceId && options.silent?.has(instanceId) === true;
  if (!isLive(cluster, self.instanceId, self.inc)) return undefined;
  const c = cluster.coordinator;
  if (
    c !== undefined &&
    incarnation(cluster, c.instanceId, c.inc)?.status === 'started' &&
    !silent(c.instanceId)
  ) {
    return undefined;
  }
  let earliest: ElectionSelf | undefined;
  for (const view of cluster.instances.values()) {
    if (view.status !== 'started' || silent(view.instanceId)) continue;
    if (earliest === undefined || view.inc < earliest.inc) earliest = view;
  }
  if (earliest?.instanceId !== self.instanceId || earliest.inc !== self.inc) return undefined;
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
