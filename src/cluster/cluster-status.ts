// `darkroom cluster status` (and the HTTP cluster status): the state of every server of the conf,
// decided purely from what an observer gathered — the log's cluster projection, two reads of every
// alive file a few heartbeats apart (did its counter change, by the observer's own clock), what
// each instance's alive file says it sees of its peers, and whether each cluster port answers
// from here — plus warnings that name the fix. The JSON shape is documented in docs/cluster.md.
import type { ClusterState } from '../projections/state.js';

/** The state `cluster status` shows per server of the conf. */
export type ServerState =
  | 'never started'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'lost'
  | 'storage stalled'
  | 'unreachable'
  | 'silent';

/** What an instance's heartbeat (as written into its alive file) says about itself. */
export interface BeatFacts {
  readonly inc: number;
  readonly status: 'starting' | 'running' | 'stopping' | 'stopped';
  readonly term: number;
  readonly coordinator: boolean;
  readonly seq: number;
  readonly slots: number;
  readonly running: number;
  readonly load: number;
  readonly confHash: string;
  readonly storage: { readonly lastOkAgeMs: number; readonly stalled: boolean };
  readonly pid: number;
  readonly host: string;
}

/** What one instance's alive file says it sees of another server on the cluster port. */
export interface PeerFacts {
  readonly name: string;
  readonly connected: boolean;
  /** ms since its last heartbeat from that server arrived, by its own clock (null: never). */
  readonly heardAgoMs: number | null;
  readonly refused?: string;
}

/** Everything gathered about one server of the conf. */
export interface ServerObservation {
  readonly name: string;
  readonly host: string;
  readonly clusterPort: number;
  readonly httpPort: number;
  /** The last alive file read (absent: none, or unreadable both times). */
  readonly alive?: { readonly beat: BeatFacts; readonly peers: readonly PeerFacts[] };
  /** Its alive file's counter changed between the two reads (its drive writes go through). */
  readonly aliveChanged: boolean;
  /** The cluster port from this observer: answered as this server, or why not. */
  readonly port: { readonly reachable: true } | { readonly reachable: false; readonly reason: string };
}

export interface StatusInput {
  readonly observedFrom: string;
  readonly observedAt: string;
  /** The conf file's hash on the observing server. */
  readonly confHash: string;
  readonly failureTimeoutMs: number;
  /** The log's cluster projection and seq, as read by the observer. */
  readonly cluster: ClusterState;
  readonly seq: number;
  readonly servers: readonly ServerObservation[];
}

export interface InstanceStatus {
  readonly name: string;
  readonly host: string;
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly state: ServerState;
  /** Incarnation in the log (null: never started). */
  readonly inc: number | null;
  readonly coordinator: boolean;
  /** The coordinator term this instance believes in (from its heartbeat). */
  readonly term: number | null;
  readonly slots: number | null;
  readonly running: number | null;
  readonly load: number | null;
  /** Youngest heartbeat age any other instance reports for it (ms; null: nobody hears it). */
  readonly heartbeatAgeMs: number | null;
  /** Last seq it applied, and how far that is behind the log as the observer read it. */
  readonly logSeq: number | null;
  readonly logLag: number | null;
  readonly confHash: string | null;
  readonly storage: { readonly lastOkAgeMs: number; readonly stalled: boolean } | null;
  readonly pid: number | null;
  readonly port: { readonly reachable: boolean; readonly reason?: string };
  /** What its alive file says it sees of the other servers. */
  readonly peers: readonly PeerFacts[];
}

export type WarningCode =
  | 'never-started'
  | 'lost'
  | 'silent'
  | 'storage-stalled'
  | 'unreachable-from-here'
  | 'unreachable-from-peer'
  | 'refused-by-peer'
  | 'conf-differs'
  | 'no-coordinator'
  | 'log-lag';

export interface StatusWarning {
  readonly code: WarningCode;
  /** The server it is about. */
  readonly instance?: string;
  readonly message: string;
}

export interface ClusterStatus {
  /** True when there is no warning (the CLI exits 0). */
  readonly healthy: boolean;
  readonly observedFrom: string;
  readonly observedAt: string;
  readonly log: { readonly seq: number };
  readonly term: number;
  readonly coordinator: { readonly instanceId: string; readonly inc: number; readonly term: number } | null;
  readonly instances: readonly InstanceStatus[];
  readonly warnings: readonly StatusWarning[];
}

/**
 * A peer that reports an open connection but no heartbeat over it for the failure timeout: the
 * link is cut somewhere TCP has not noticed yet (a firewall dropping packets, not refusing them).
 */
function silentLink(peer: PeerFacts, failureTimeoutMs: number): boolean {
  return peer.connected && peer.heardAgoMs !== null && peer.heardAgoMs >= failureTimeoutMs;
}

/** A heartbeat this old (or none) from every peer counts as "not heard". */
function heardRecently(age: number | null, failureTimeoutMs: number): boolean {
  return age !== null && age < failureTimeoutMs;
}

function shortHash(h: string): string {
  return h.slice(0, 12);
}

/**
 * Pure: the status of every server of the conf and the warnings, from what was observed. An
 * instance is judged alive on the drive when its alive file changed between the observer's two
 * reads, and alive on the cluster port when a peer heard it within the failure timeout.
 */
export function decideClusterStatus(input: StatusInput): ClusterStatus {
  const { cluster, failureTimeoutMs } = input;
  const warnings: StatusWarning[] = [];
  const warn = (code: WarningCode, instance: string | undefined, message: string) =>
    warnings.push(instance === undefined ? { code, message } : { code, instance, message });
  const byName = new Map(input.servers.map((s) => [s.name, s]));
  const acting =
    cluster.coordinator !== undefined && cluster.coordinator.term === cluster.term
      ? cluster.coordinator
      : undefined;

  // What the others report of each server (only instances whose alive file is current speak).
  const reports = new Map<string, { from: string; peer: PeerFacts }[]>();
  for (const s of input.servers) {
    if (s.alive === undefined || !s.aliveChanged) continue;
    for (const peer of s.alive.peers) {
      const list = reports.get(peer.name) ?? [];
      list.push({ from: s.name, peer });
      reports.set(peer.name, list);
    }
  }

  const instances = input.servers.map((s): InstanceStatus => {
    const view = cluster.instances.get(s.name);
    const beat = s.alive?.beat;
    const about = reports.get(s.name) ?? [];
    const ages = about.map((r) => r.peer.heardAgoMs).filter((a): a is number => a !== null);
    const heartbeatAgeMs = ages.length > 0 ? Math.min(...ages) : null;
    const heard = heardRecently(heartbeatAgeMs, failureTimeoutMs);
    // A beat of an older incarnation (the alive file of a run before this one) is no news.
    const current = beat !== undefined && view !== undefined && beat.inc === view.inc ? beat : undefined;
    const liveBeat = current !== undefined && s.aliveChanged ? current : undefined;

    let state: ServerState;
    if (view === undefined) {
      state = beat !== undefined && s.aliveChanged ? 'starting' : 'never started';
    } else if (view.status === 'lost') {
      // Declared lost after its drive calls hung for the failure timeout, but still heartbeating:
      // the fix is its mount, not a restart (it rejoins by itself once the drive answers).
      const stillStalled =
        (heard || s.port.reachable) && (!s.aliveChanged || current?.storage.stalled === true);
      state = stillStalled ? 'storage stalled' : 'lost';
    } else if (view.status === 'stopped') state = 'stopped';
    else if (!s.aliveChanged && !heard && !s.port.reachable) state = 'silent';
    else if (!s.aliveChanged || current?.storage.stalled === true) state = 'storage stalled';
    else if (view.status === 'stopping' || current?.status === 'stopping') state = 'stopping';
    else if (
      !s.port.reachable ||
      about.some((r) => !r.peer.connected || silentLink(r.peer, failureTimeoutMs))
    )
      state = 'unreachable';
    else state = current?.status === 'starting' ? 'starting' : 'running';

    const logSeq = liveBeat?.seq ?? null;
    return {
      name: s.name,
      host: s.host,
      clusterPort: s.clusterPort,
      httpPort: s.httpPort,
      state,
      inc: view?.inc ?? null,
      coordinator: acting !== undefined && acting.instanceId === s.name && acting.inc === view?.inc,
      term: current?.term ?? null,
      slots: current?.slots ?? view?.slots ?? null,
      running: liveBeat?.running ?? null,
      load: liveBeat?.load ?? null,
      heartbeatAgeMs,
      logSeq,
      logLag: logSeq === null ? null : Math.max(0, input.seq - logSeq),
      confHash: current?.confHash ?? view?.confHash ?? null,
      storage: current?.storage ?? null,
      pid: current?.pid ?? view?.pid ?? null,
      port: s.port.reachable ? { reachable: true } : { reachable: false, reason: s.port.reason },
      peers: s.alive?.peers ?? [],
    };
  });

  for (const i of instances) {
    const s = byName.get(i.name)!;
    const where = `port ${i.clusterPort}`;
    switch (i.state) {
      case 'never started':
        warn(
          'never-started',
          i.name,
          `server ${i.name} of the conf never started: run \`darkroom start --conf FILE --id ${i.name}\` on ${i.host}, or remove its server line`,
        );
        break;
      case 'lost':
        warn(
          'lost',
          i.name,
          `${i.name} (inc ${i.inc}) was declared lost and its jobs went to other instances: start it again on ${i.host}`,
        );
        break;
      case 'silent':
        warn(
          'silent',
          i.name,
          `${i.name} is silent: no heartbeat, its alive file does not change and ${where} does not answer (${s.port.reachable ? '' : s.port.reason}); it is down or paused — the coordinator declares it lost after ${failureTimeoutMs} ms`,
        );
        break;
      case 'storage stalled':
        warn(
          'storage-stalled',
          i.name,
          cluster.instances.get(i.name)?.status === 'lost'
            ? `${i.name} is alive but its drive calls hang (storage stalled): it was declared lost (inc ${i.inc}) and its jobs went to other instances; check its mount of the shared drive on ${i.host}; it rejoins by itself when the drive answers`
            : `${i.name} is alive but its drive calls hang (storage stalled): check its mount of the shared drive on ${i.host}; it gets no new work until the drive answers`,
        );
        break;
      default:
        break;
    }
    if (i.state === 'stopped' || i.state === 'lost' || i.state === 'never started' || i.state === 'silent')
      continue;
    if (!s.port.reachable) {
      warn(
        'unreachable-from-here',
        i.name,
        `${i.name} is alive in the log but unreachable on ${where} from ${input.observedFrom} (${s.port.reason}): check that ${i.host}:${i.clusterPort} is open to this server`,
      );
    }
    for (const r of reports.get(i.name) ?? []) {
      if (r.peer.connected && !silentLink(r.peer, failureTimeoutMs)) continue;
      const peerState = instances.find((x) => x.name === r.from)?.state;
      if (peerState === 'stopped' || peerState === 'lost') continue;
      if (r.peer.refused !== undefined) {
        warn(
          'refused-by-peer',
          i.name,
          `${r.from} refuses the connection with ${i.name}: ${r.peer.refused} — give both servers the same conf and secret`,
        );
      } else {
        warn(
          'unreachable-from-peer',
          i.name,
          `${i.name} is alive in the log but unreachable on ${where} from ${r.from}${r.peer.connected ? ` (no heartbeat for ${r.peer.heardAgoMs} ms over an open connection)` : ''}: check the firewall between them`,
        );
      }
    }
    if (i.confHash !== null && i.confHash !== input.confHash) {
      warn(
        'conf-differs',
        i.name,
        `${i.name}'s conf differs (hash ${shortHash(i.confHash)}…, this server's ${shortHash(input.confHash)}…): copy the same ClaroServers.conf to every server and restart ${i.name}`,
      );
    }
    if (i.logLag !== null && i.logLag > 1000) {
      warn(
        'log-lag',
        i.name,
        `${i.name} is ${i.logLag} events behind the log: it is replaying, or its drive is slow`,
      );
    }
  }
  const live = instances.filter(
    (i) => i.state !== 'stopped' && i.state !== 'lost' && i.state !== 'never started',
  );
  if (live.length > 0 && !instances.some((i) => i.coordinator)) {
    warn(
      'no-coordinator',
      undefined,
      `no instance acts as coordinator of term ${cluster.term}: an election should follow within ${failureTimeoutMs} ms; if it does not, look at the instances' logs`,
    );
  }
  return {
    healthy: warnings.length === 0,
    observedFrom: input.observedFrom,
    observedAt: input.observedAt,
    log: { seq: input.seq },
    term: cluster.term,
    coordinator:
      acting === undefined ? null : { instanceId: acting.instanceId, inc: acting.inc, term: acting.term },
    instances,
    warnings,
  };
}
