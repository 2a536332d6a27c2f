// What GET /api/cluster answers: the projection's view of the instances (who the log knows, their
// holdings, where each serves HTTP) merged with what `gatherClusterStatus` observed (load, storage
// health, heartbeat ages, cluster-port reachability and the warnings naming the fix). An observation
// takes a few heartbeats and touches the shared drive, so one runs at a time and its result is
// reused for a while; a request never waits longer than `waitMs` for one (a stalled drive).
import type { Clock } from '../clock.js';
import type { ClusterStatus } from '../cluster/cluster-status.js';

/** The latest observation, how old it is, and whether a newer one was still under way. */
export interface Observation {
  readonly status?: ClusterStatus;
  /** ms since that observation finished (by the injected clock). */
  readonly ageMs?: number;
  /** The last observation did not finish within `waitMs` (or failed): the answer may be stale. */
  readonly late: boolean;
  readonly waitMs: number;
}

export interface ClusterObserverOptions {
  /** One observation (gatherClusterStatus with this instance's projection). */
  readonly gather: () => Promise<ClusterStatus>;
  readonly clock: Clock;
  /** An observation this young is answered as is (default 2000 ms). */
  readonly maxAgeMs?: number;
  /** How long a request waits for a new observation (default 6000 ms). */
  readonly waitMs?: number;
}

/** `latest()`: the newest observation, starting one when the last is older than `maxAgeMs`. */
export function clusterObserver(o: ClusterObserverOptions): { latest(): Promise<Observation> } {
  const maxAgeMs = o.maxAgeMs ?? 2000;
  const waitMs = o.waitMs ?? 6000;
  let last: { status: ClusterStatus; at: number } | undefined;
  let inFlight: Promise<void> | undefined;
  let failed = false;
  const answer = (late: boolean): Observation =>
    last === undefined
      ? { late, waitMs }
      : { status: last.status, ageMs: Math.max(0, o.clock.now() - last.at), late, waitMs };
  return {
    async latest() {
      if (last !== undefined && o.clock.now() - last.at < maxAgeMs) return answer(false);
      // Single flight: a hung drive leaves one pending observation, not one per request.
      inFlight ??= o.gather().then(
        (status) => {
          last = { status, at: o.clock.now() };
          failed = false;
          inFlight = undefined;
        },
        () => {
          failed = true;
          inFlight = undefined;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        inFlight.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), waitMs);
        }),
      ]);
      clearTimeout(timer);
      return answer(!done || failed);
    },
  };
}

type Json = Record<string, unknown>;

/**
 * Pure: `base` (clusterFromProjection) with the observation's facts added per instance (`state`,
 * `load`, `storage`, `port`, `logLag`, and `heartbeatAgeMs` where the projection had none) and
 * at the top (`healthy`, `warnings`, `observedAt`, `observedAgeMs`).
 */
export function withObservation(base: Json, obs: Observation | undefined): Json {
  if (obs === undefined) return base;
  const here = String(base['instanceId']);
  const s = obs.status;
  const warnings: { code: string; instance?: string; message: string }[] = [...(s?.warnings ?? [])];
  if (obs.late) {
    warnings.unshift({
      code: 'status-unobserved',
      instance: here,
      message:
        s === undefined
          ? `${here} could not observe the cluster within ${obs.waitMs} ms (is its shared drive stalled?): showing what its log says`
          : `${here} could not observe the cluster again within ${obs.waitMs} ms (is its shared drive stalled?): the facts below are ${Math.round((obs.ageMs ?? 0) / 1000)} s old`,
    });
  }
  const byName = new Map((s?.instances ?? []).map((i) => [i.name, i]));
  const instances = (base['instances'] as Json[]).map((i) => {
    const seen = byName.get(String(i['instanceId']));
    if (seen === undefined) return i;
    return {
      ...i,
      state: seen.state,
      ...(seen.load !== null ? { load: seen.load } : {}),
      ...(seen.storage !== null ? { storage: seen.storage } : {}),
      port: seen.port,
      ...(seen.logLag !== null ? { logLag: seen.logLag } : {}),
      ...(i['heartbeatAgeMs'] === undefined && seen.heartbeatAgeMs !== null
        ? { heartbeatAgeMs: seen.heartbeatAgeMs }
        : {}),
    };
  });
  return {
    ...base,
    instances,
    healthy: warnings.length === 0,
    warnings,
    ...(s !== undefined ? { observedAt: s.observedAt, observedAgeMs: obs.ageMs ?? 0 } : {}),
  };
}
