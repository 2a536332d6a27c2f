// What every route module gets: the instance's log and projection, the caller, and appends that
// answer after their events are applied here (a client reads its own writes from this instance).
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import type { Condition } from '../events/conditions.js';
import type { EventLog } from '../events/event-log.js';
import type { DarkroomEvent } from '../events/event-types.js';
import type { LogRecord } from '../events/log-record.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import type { Principal } from './auth.js';
import type { Observation } from './cluster-view.js';
import type { Role } from '../users/decide-user-change.js';
import type { HttpMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route; 'none': no authentication. */
    role?: Role | 'none';
    /** What the route does, for E_FORBIDDEN ("may not {action}"). */
    action?: string;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface HttpDeps {
  readonly log: EventLog<ProjectionState>;
  readonly conf: Pick<ClusterConf, 'sharedDir' | 'secret' | 'maxUploadBytes' | 'sessionTtlMs'> &
    Partial<Pick<ClusterConf, 'servers'>>;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
  /** Folder of the web UI (default: web/dist of the package, else web/); absent folder: no UI. */
  readonly webDir?: string;
  /** What this instance observes of the cluster (load, storage, ports, warnings: cluster-view.ts). */
  readonly observeCluster?: () => Promise<Observation>;
  /** Milliseconds since each peer's last heartbeat, as this instance saw them (the mesh). */
  readonly heartbeatAges?: () => ReadonlyMap<string, number>;
  /** True while the log follower is caught up with the drive (default: the log is running). */
  readonly caughtUp?: () => boolean;
  /** Live SSE streams send `: ping` this often (default 15000 ms). */
  readonly pingMs?: number;
}

export interface HttpContext {
  readonly deps: HttpDeps;
  readonly log: EventLog<ProjectionState>;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly sessionKey: Buffer;
  readonly metrics: HttpMetrics;
  state(): ProjectionState;
  /** Appends `events` on `conditions` and resolves once they are applied locally. */
  append(events: readonly DarkroomEvent[], conditions?: readonly Condition[]): Promise<readonly LogRecord[]>;
  isStopping(): boolean;
}
