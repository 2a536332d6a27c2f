// /metrics: Prometheus text from a registry of this server's own (prom-client): jobs by state,
// processing time, log seq, append latency, peers and their heartbeat age, storage health.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { jobStates } from '../events/event-types.js';
import type { EventLog } from '../events/event-log.js';
import type { ProjectionState } from '../projections/state.js';

export interface HttpMetrics {
  readonly registry: Registry;
  /** Seconds one append made by this server took (append to applied). */
  observeAppend(seconds: number): void;
  observeRequest(route: string, method: string, status: number): void;
  setStorageHealthy(ok: boolean): void;
  /** Undo: stops observing the log. */
  close(): void;
}

export function createMetrics(
  log: EventLog<ProjectionState>,
  heartbeatAges: () => ReadonlyMap<string, number>,
): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'darkroom_process_' });
  new Gauge({
    name: 'darkroom_jobs',
    help: 'Jobs in the projection by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(jobStates.map((s) => [s, 0]));
      for (const j of log.state.jobs.all.values()) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'darkroom_log_seq',
    help: 'Last seq applied by this instance',
    registers: [registry],
    collect() {
      this.set(log.seq);
    },
  });
  new Gauge({
    name: 'darkroom_instances',
    help: 'Instances known to the projection by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>([
        ['started', 0],
        ['stopping', 0],
        ['stopped', 0],
        ['lost', 0],
      ]);
      for (const i of log.state.cluster.instances.values())
        counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'darkroom_peer_heartbeat_age_seconds',
    help: 'Seconds since the last heartbeat of each peer, as this instance saw it',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [peer, ms] of heartbeatAges()) this.set({ peer }, ms / 1000);
    },
  });
  const storage = new Gauge({
    name: 'darkroom_storage_healthy',
    help: '1 when the shared drive answered the last probe in time, else 0',
    registers: [registry],
  });
  const processing = new Histogram({
    name: 'darkroom_job_processing_seconds',
    help: 'End-to-end processing time of completed jobs (from JobCompleted timings)',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const append = new Histogram({
    name: 'darkroom_log_append_seconds',
    help: 'Latency of log appends made by the HTTP API (request to applied)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'darkroom_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const undo = log.onApplied((records) => {
    for (const r of records) {
      if (r.type === 'JobCompleted') {
        const ms = r.data.timingsMs['endToEnd'];
        if (ms !== undefined) processing.observe(ms / 1000);
      }
    }
  });
  return {
    registry,
    observeAppend: (s) => append.observe(s),
    observeRequest: (route, method, status) => requests.inc({ route, method, status: String(status) }),
    setStorageHealthy: (ok) => storage.set(ok ? 1 : 0),
    close: () => {
      undo();
      registry.clear();
    },
  };
}
