// The instance's `mesh` part: the peer mesh on the conf's cluster port (heartbeats in and out,
// "the log grew" both ways), and the named error when that port is taken — by a live process of
// this very id (E_INSTANCE_DUPLICATE) or by something else (E_CLUSTER_PORT_IN_USE).
import type { Beat } from '../cluster/peer-messages.js';
import { lookForProbe } from '../cluster/doctor-peers.js';
import { PeerMesh } from '../cluster/peer-mesh.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import type { Clock } from '../clock.js';
import type { EventLog } from '../events/event-log.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import type { Part } from './part.js';

export interface MeshPartOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The log, opened by the part before this one. */
  readonly log: () => EventLog<ProjectionState>;
  /** This instance's heartbeat now (memory only). */
  readonly beat: () => Beat;
  readonly onBeat: (peer: string, beat: Beat) => void;
  /** Called with the mesh once it listens. */
  readonly started: (mesh: PeerMesh) => void;
}

export function meshPart(o: MeshPartOptions): Part {
  let mesh: PeerMesh | undefined;
  let undoWritten: (() => void) | undefined;
  return {
    name: 'mesh',
    start: async () => {
      const { conf, self } = o;
      const log = o.log();
      const m = new PeerMesh({
        self,
        servers: conf.servers,
        secret: conf.secret,
        heartbeatMs: conf.heartbeatMs,
        idleCloseMs: conf.failureTimeoutMs,
        beat: o.beat,
        onBeat: o.onBeat,
        onGrew: () => log.wake(),
        // `darkroom doctor --conf` between servers: does this mount see a probe file yet?
        onDoctorLook: async (rel) => lookForProbe(conf.sharedDir, rel),
        confHash: conf.hash,
        clock: o.clock,
        logger: o.logger.child({ component: 'mesh' }),
      });
      try {
        await m.start();
      } catch (err) {
        await m.stop();
        throw portError(err, self, log.state);
      }
      mesh = m;
      o.started(m);
      // "The log grew": peers read the new batch at once instead of at their next poll.
      undoWritten = log.onWritten((seq) => m.announceGrew(seq));
    },
    stop: async () => {
      undoWritten?.();
      await mesh?.stop();
    },
  };
}

/** EADDRINUSE on the cluster port as a named error; other errors unchanged. */
function portError(err: unknown, self: ServerEntry, state: ProjectionState): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err;
  const prev = state.cluster.instances.get(self.name);
  if (prev !== undefined && (prev.status === 'started' || prev.status === 'stopping')) {
    return new DarkroomError(
      'E_INSTANCE_DUPLICATE',
      {
        instanceId: self.name,
        where: `incarnation ${prev.inc}, pid ${prev.pid} on ${prev.host}, holds cluster port ${self.clusterPort}`,
      },
      { cause: err },
    );
  }
  return new DarkroomError(
    'E_CLUSTER_PORT_IN_USE',
    { port: self.clusterPort, instanceId: self.name, reason: (err as Error).message },
    { cause: err },
  );
}
