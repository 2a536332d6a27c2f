// decideLost: pure failure detection. From what one observer saw of each instance (heartbeats on
// the cluster port, its alive file changing on the drive, the storage health its heartbeat
// reports), judged by the observer's own monotonic clock, the InstanceLost events the acting
// coordinator appends now (fenced by its term and by each lost incarnation) — which release that
// incarnation's jobs. Also `judgeInstance`, the one judgement assignment and elections use too.
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { actingCoordinator } from '../projections/cluster.js';
import type { ProjectionState } from '../projections/state.js';

export type InstanceLostEvent = Extract<DarkroomEvent, { type: 'InstanceLost' }>;

/** What one observer knows of one incarnation; every time is the observer's clock.now(). */
export interface Observation {
  /** The incarnation these facts are about. */
  readonly inc: number;
  /** When the observer first knew this incarnation (its InstanceStarted applied, or the observer started). */
  readonly firstSeenAt: number;
  /** Last heartbeat from this incarnation on the cluster port. */
  readonly heardAt?: number;
  /** Last time its alive file's counter changed (drive-side sign of life). */
  readonly aliveChangedAt?: number;
  /** Its last heartbeat said its storage is stalled. */
  readonly stalled?: boolean;
  /** When its last completed drive operation was, by its last heartbeat (heardAt - lastOkAgeMs). */
  readonly storageOkAt?: number;
}

/**
 * alive: heard or seen within half the timeout. unreachable: its alive file changes but its
 * heartbeats have been quiet for the timeout (port blocked). stalled: it heartbeats but says its
 * drive calls hang. suspect: quiet on both for half the timeout. silent: quiet on both for the
 * whole timeout (it is lost).
 */
export type Judgement = 'alive' | 'unreachable' | 'stalled' | 'suspect' | 'silent';

export interface JudgeOptions {
  readonly failureTimeoutMs: number;
}

/** Pure: how `obs` looks at `now`. */
export function judgeInstance(obs: Observation, now: number, o: JudgeOptions): Judgement {
  const heardQuiet = now - (obs.heardAt ?? obs.firstSeenAt);
  const driveQuiet = now - (obs.aliveChangedAt ?? obs.firstSeenAt);
  const quiet = Math.min(heardQuiet, driveQuiet);
  if (quiet >= o.failureTimeoutMs) return 'silent';
  if (heardQuiet < o.failureTimeoutMs && obs.stalled === true) return 'stalled';
  if (heardQuiet >= o.failureTimeoutMs) return 'unreachable';
  if (quiet >= o.failureTimeoutMs / 2) return 'suspect';
  return 'alive';
}

/** Pure: instances that get no new work and cannot be elected now (stalled, suspect or silent). */
export function unavailableInstances(
  observations: ReadonlyMap<string, Observation>,
  now: number,
  o: JudgeOptions,
): Set<string> {
  const out = new Set<string>();
  for (const [id, obs] of observations) {
    const j = judgeInstance(obs, now, o);
    if (j === 'stalled' || j === 'suspect' || j === 'silent') out.add(id);
  }
  return out;
}

export interface LostDecision {
  readonly events: readonly InstanceLostEvent[];
  readonly conditions: readonly Condition[];
}

const nothing: LostDecision = Object.freeze({ events: [], conditions: [] });

/**
 * Pure: InstanceLost for every started or stopping incarnation (other than the coordinator's own)
 * that is silent — heartbeats and alive file both quiet for failureTimeoutMs — or whose heartbeats
 * have reported its drive stalled for failureTimeoutMs. An incarnation without an observation of
 * that same incarnation is not judged (the observer has not watched it yet). Conditions: the
 * coordinator of the term, and each lost incarnation still current and started or stopping.
 * Nothing when `coordinator` is not the acting coordinator of the current term.
 */
export function decideLost(
  state: ProjectionState,
  coordinator: { readonly instanceId: string; readonly inc: number; readonly term: number },
  observations: ReadonlyMap<string, Observation>,
  now: number,
  o: JudgeOptions,
): LostDecision {
  const acting = actingCoordinator(state.cluster);
  if (
    acting?.instanceId !== coordinator.instanceId ||
    acting.inc !== coordinator.inc ||
    acting.term !== coordinator.term
  ) {
    return nothing;
  }
  const events: InstanceLostEvent[] = [];
  const conditions: Condition[] = [{ kind: 'coordinator', ...coordinator }];
  const ids = [...state.cluster.instances.keys()].sort();
  for (const id of ids) {
    const view = state.cluster.instances.get(id)!;
    if (id === coordinator.instanceId || (view.status !== 'started' && view.status !== 'stopping')) continue;
    const obs = observations.get(id);
    if (obs?.inc !== view.inc) continue;
    const reason = lostReason(obs, now, o);
    if (reason === undefined) continue;
    events.push({ type: 'InstanceLost', data: { instanceId: id, inc: view.inc, reason } });
    conditions.push({
      kind: 'incarnation',
      instanceId: id,
      inc: view.inc,
      statuses: ['started', 'stopping'],
    });
  }
  return events.length === 0 ? nothing : Object.freeze({ events, conditions });
}

function lostReason(obs: Observation, now: number, o: JudgeOptions): string | undefined {
  const j = judgeInstance(obs, now, o);
  if (j === 'silent') {
    const heard =
      obs.heardAt === undefined
        ? 'no heartbeat seen'
        : `no heartbeat for ${Math.round(now - obs.heardAt)} ms`;
    const drive =
      obs.aliveChangedAt === undefined
        ? 'no sign of life on the drive'
        : `no sign of life on the drive for ${Math.round(now - obs.aliveChangedAt)} ms`;
    return `${heard} and ${drive} (failure timeout ${o.failureTimeoutMs} ms)`;
  }
  if (j === 'stalled' && obs.storageOkAt !== undefined && now - obs.storageOkAt >= o.failureTimeoutMs) {
    return `alive, but its drive calls have hung for ${Math.round(now - obs.storageOkAt)} ms (storage stalled; failure timeout ${o.failureTimeoutMs} ms)`;
  }
  return undefined;
}
