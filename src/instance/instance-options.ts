// What an instance is made from (its options, the parts a caller adds) and what it reports about
// itself (`Instance.status()`).
import type { Clock } from '../clock.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Instance } from './instance.js';
import type { StorageHealth } from './liveness.js';
import type { Part } from './part.js';
import type { PeerStatus } from './peer-status.js';
import type { JobRunner, WorkerRole } from './worker-role.js';

export type InstanceStatus = 'starting' | 'running' | 'stopping' | 'stopped';

/** Makes a part for an instance (e.g. the HTTP part); called once, in the constructor. */
export type PartFactory = (instance: Instance) => Part;

export interface InstanceOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
  /** Replaces the job runner (tests). */
  readonly runner?: JobRunner;
  /** Parts started after the built-in ones (log, mesh, join, failure detector, coordinator, worker). */
  readonly parts?: readonly PartFactory[];
  /**
   * Parts started after the log and the mesh (whose port refuses a second process with this id),
   * before this instance joins (HTTP: its set-up keeps the event loop busy for seconds on a
   * loaded machine, which once it had joined stalled its heartbeats and lease renewals and cost
   * it the coordinator role). Stopped after join, before the mesh and the log.
   */
  readonly partsBeforeJoin?: readonly PartFactory[];
}

export interface InstanceStatusReport {
  readonly status: InstanceStatus;
  readonly instanceId: string;
  readonly inc: number;
  readonly coordinator: boolean;
  readonly term: number;
  readonly seq: number;
  readonly faults: number;
  readonly storage: StorageHealth;
  readonly peers: readonly PeerStatus[];
  readonly worker?: ReturnType<WorkerRole['status']>;
}
