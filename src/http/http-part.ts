// HTTP as a part of an instance: started once the log has caught up (it serves the projection),
// stopped first (new requests get 503 E_INSTANCE_STOPPING, live streams say bye and close).
import { systemClock } from '../clock.js';
import { gatherClusterStatus } from '../cluster/cluster-status-gather.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import type { EventLog } from '../events/event-log.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { clusterObserver } from './cluster-view.js';
import { ensureFirstAdmin } from './first-admin.js';
import type { HttpDeps } from './http-context.js';
import { createHttpServer, type HttpServer } from './http-server.js';

export interface HttpPartOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly log: () => EventLog<ProjectionState> | undefined;
  readonly logger: Logger;
  /** Host to bind (default 0.0.0.0; the conf's host names where others reach it). */
  readonly host?: string;
  readonly extra?: Partial<HttpDeps>;
}

export interface HttpPart {
  readonly name: 'http';
  start(): Promise<void>;
  /** Requests get 503 E_INSTANCE_STOPPING from now on (the instance drains); stop() closes. */
  beginStop(): void;
  stop(): Promise<void>;
  server(): HttpServer | undefined;
}

export function httpPart(o: HttpPartOptions): HttpPart {
  let server: HttpServer | undefined;
  let stopped = false;
  return {
    name: 'http',
    server: () => server,
    async start() {
      const log = o.log();
      if (log === undefined) throw new Error('http part started before the log');
      await ensureFirstAdmin(log, o.conf.sharedDir, o.logger);
      if (stopped) return;
      const observer = clusterObserver({
        clock: systemClock,
        gather: () =>
          gatherClusterStatus(o.conf, {
            projection: async () => ({ cluster: log.state.cluster, seq: log.seq }),
            observedFrom: o.self.name,
          }),
      });
      server = await createHttpServer({
        log,
        conf: o.conf,
        instanceId: o.self.name,
        logger: o.logger,
        observeCluster: () => observer.latest(),
        ...o.extra,
      });
      if (stopped) return;
      await server.listen(o.self.httpPort, o.host ?? process.env['DARKROOM_HTTP_HOST'] ?? '0.0.0.0');
    },
    beginStop() {
      stopped = true;
      server?.beginStop();
    },
    async stop() {
      stopped = true;
      await server?.stop();
    },
  };
}
