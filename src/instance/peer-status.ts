// What an instance says about its peers: each one's connection on the cluster port and the
// failure detector's judgement (for `status()`), and one log line whenever a peer becomes
// unreachable on the port, storage stalled, or fine again.
import type { ClusterConf } from '../cluster/conf.js';
import type { Judgement } from '../cluster/decide-lost.js';
import type { PeerView } from '../cluster/peer-mesh.js';
import type { Logger } from '../logger.js';

export interface PeerStatus {
  readonly name: string;
  readonly connected: boolean;
  readonly heardAgoMs?: number;
  readonly refused?: string;
  /** The failure detector's judgement of its current incarnation (when it is started or stopping). */
  readonly judgement?: Judgement;
}

/** The mesh's views joined with the judgements, `now` by the instance's monotonic clock. */
export function peerStatus(
  views: readonly PeerView[],
  judgements: ReadonlyMap<string, Judgement>,
  now: number,
): PeerStatus[] {
  return views.map((p) => {
    const j = judgements.get(p.name);
    return {
      name: p.name,
      connected: p.dialled || p.accepted,
      ...(p.lastBeatAt !== undefined ? { heardAgoMs: Math.round(now - p.lastBeatAt) } : {}),
      ...(p.refused !== undefined ? { refused: p.refused } : {}),
      ...(j !== undefined ? { judgement: j } : {}),
    };
  });
}

/** Logs once per change when a peer becomes unreachable or stalled, and when it is fine again. */
export class PeerWarnings {
  readonly #judged = new Map<string, Judgement>();
  readonly #conf: ClusterConf;
  readonly #selfName: string;
  readonly #logger: Logger;

  constructor(conf: ClusterConf, selfName: string, logger: Logger) {
    this.#conf = conf;
    this.#selfName = selfName;
    this.#logger = logger;
  }

  update(judgements: ReadonlyMap<string, Judgement>): void {
    for (const [id, j] of judgements) {
      const was = this.#judged.get(id);
      if (was === j) continue;
      this.#judged.set(id, j);
      const entry = this.#conf.servers.find((s) => s.name === id);
      const port = entry?.clusterPort ?? this.#conf.clusterPort;
      if (j === 'unreachable') {
        this.#logger.warn(
          { peer: id, port },
          `${id} is alive but unreachable on port ${port}: its alive file on the drive changes, but no heartbeat has come for the failure timeout; check the firewall between ${this.#selfName} and ${id}`,
        );
      } else if (j === 'stalled') {
        this.#logger.warn({ peer: id }, `${id} is alive, storage stalled: it gets no new work`);
      } else if (was === 'unreachable' || was === 'stalled') {
        this.#logger.info({ peer: id, judgement: j }, `${id} is ${j} again`);
      }
    }
  }
}
