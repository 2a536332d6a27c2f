// Gathers what `decideClusterStatus` needs, from any server (no instance needs to run there): the
// log's cluster projection, every alive file read twice a few heartbeats apart (did its counter
// change, by this process's own clock), and a probe of every cluster port. The HTTP cluster
// status calls the same function with its instance's projection.
import { hostname } from 'node:os';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { readAliveFiles, type AliveFile } from './alive-file.js';
import { decideClusterStatus, type ClusterStatus, type ServerObservation } from './cluster-status.js';
import type { ClusterConf } from './conf.js';
import { probeClusterPort, type PortProbe } from './peer-mesh.js';
import type { ClusterState } from '../projections/state.js';

export interface GatherOptions {
  /** The log's cluster projection and seq now (an instance passes its own; the CLI reads the log). */
  readonly projection: () => Promise<{ readonly cluster: ClusterState; readonly seq: number }>;
  /** Time between the two alive-file reads (default: 2 heartbeats + 200 ms). */
  readonly watchMs?: number;
  /** How long a cluster port may take to answer (default 2000 ms). */
  readonly probeTimeoutMs?: number;
  readonly observedFrom?: string;
  readonly clock?: Clock;
}

function changed(a: AliveFile | undefined, b: AliveFile | undefined): boolean {
  return a !== undefined && b !== undefined && (a.counter !== b.counter || a.inc !== b.inc);
}

/** The status of every server of `conf`. Touches the shared drive and dials the cluster ports. */
export async function gatherClusterStatus(conf: ClusterConf, o: GatherOptions): Promise<ClusterStatus> {
  const clock = o.clock ?? systemClock;
  const watchMs = o.watchMs ?? 2 * conf.heartbeatMs + 200;
  const first = await readAliveFiles(conf.sharedDir);
  const probes = Promise.all(
    conf.servers.map(async (s): Promise<PortProbe> => probeClusterPort(s, o.probeTimeoutMs ?? 2000)),
  );
  await new Promise((r) => setTimeout(r, watchMs));
  const [second, ports, projection] = await Promise.all([
    readAliveFiles(conf.sharedDir),
    probes,
    o.projection(),
  ]);
  const servers = conf.servers.map((s, i): ServerObservation => {
    const last = second.get(s.name) ?? first.get(s.name);
    return {
      name: s.name,
      host: s.host,
      clusterPort: s.clusterPort,
      httpPort: s.httpPort,
      ...(last !== undefined ? { alive: { beat: last.beat, peers: last.peers } } : {}),
      aliveChanged: changed(first.get(s.name), second.get(s.name)),
      port: ports[i]!,
    };
  });
  return decideClusterStatus({
    observedFrom: o.observedFrom ?? hostname(),
    observedAt: clock.wallTime().toISOString(),
    confHash: conf.hash,
    failureTimeoutMs: conf.failureTimeoutMs,
    cluster: projection.cluster,
    seq: projection.seq,
    servers,
  });
}
