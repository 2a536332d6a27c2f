// How an instance is wired to the coordinator seat: its election watch (fed by the failure
// detector: who heartbeats as acting coordinator, who is unfit) and the coordinator role it runs
// for a term it was elected for (no new work for unavailable instances, itself included).
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import { unavailableInstances } from '../cluster/decide-lost.js';
import type { EventLog } from '../events/event-log.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { CoordinatorRole } from './coordinator-role.js';
import { ElectionWatch } from './election-watch.js';
import type { Liveness } from './liveness.js';

interface SeatOptions {
  readonly log: EventLog<ProjectionState>;
  readonly conf: ClusterConf;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly liveness: Liveness;
}

export function newElectionWatch(
  o: SeatOptions & {
    readonly self: () => { readonly instanceId: string; readonly inc: number };
    /** True while this instance's coordinator role runs. */
    readonly acting: () => boolean;
  },
): ElectionWatch {
  const { log, conf, clock, liveness } = o;
  return new ElectionWatch({
    log,
    sharedDir: conf.sharedDir,
    self: o.self,
    clock,
    failureTimeoutMs: conf.failureTimeoutMs,
    heartbeatMs: conf.heartbeatMs,
    logger: o.logger.child({ component: 'election' }),
    actingCoordinator: o.acting,
    heardActing: (id, inc, term) => {
      const b = liveness.lastBeat(id);
      return (
        b !== undefined &&
        b.beat.inc === inc &&
        b.beat.coordinator &&
        b.beat.term === term &&
        clock.now() - b.at < conf.failureTimeoutMs
      );
    },
    unfit: () => {
      const out = new Set<string>();
      for (const [id, j] of liveness.judgements(log.state))
        if (j === 'silent' || j === 'stalled') out.add(id);
      return out;
    },
    // A log reader that cannot follow (reader-health.ts) leaves a projection behind the log.
    fit: () => !liveness.storage().stalled && log.notFollowingMs() === undefined,
  });
}

export function newCoordinatorRole(
  o: SeatOptions & {
    readonly self: { readonly instanceId: string; readonly inc: number };
    readonly term: number;
    readonly ids: IdSource;
    readonly onFault: (err: unknown, where: string) => void;
    readonly onStepDown: (reason: string) => void;
  },
): CoordinatorRole {
  const { log, conf, clock, liveness, self } = o;
  return new CoordinatorRole({
    log,
    conf,
    self,
    term: o.term,
    clock,
    ids: o.ids,
    logger: o.logger.child({ component: 'coordinator', term: o.term }),
    onFault: o.onFault,
    onStepDown: o.onStepDown,
    observations: () => liveness.observations(log.state),
    unavailable: () => {
      const out = unavailableInstances(liveness.observations(log.state), clock.now(), {
        failureTimeoutMs: conf.failureTimeoutMs,
      });
      if (liveness.storage().stalled || log.notFollowingMs() !== undefined) out.add(self.instanceId);
      // All of them unfit (a drive slow for everyone): holding work back would help no one.
      const started = [...log.state.cluster.instances.values()].filter((v) => v.status === 'started');
      return started.every((v) => out.has(v.instanceId)) ? new Set<string>() : out;
    },
  });
}
