// Joining the cluster: one id, one process (a start whose id is alive is refused, naming where
// the other one runs), and the InstanceStarted append that makes a new incarnation, safe when the
// append's lock was lost on a slow drive (the batch may or may not be in the log).
import { hostname } from 'node:os';
import { readAliveFile } from '../cluster/alive-file.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import type { Clock } from '../clock.js';
import type { EventLog } from '../events/event-log.js';
import { FORMAT_LEVEL } from '../events/event-types.js';
import { asDarkroomError, DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { InstanceView, ProjectionState } from '../projections/state.js';
import { VERSION } from '../version.js';

/** The data of an InstanceStarted. */
export interface StartedData {
  readonly instanceId: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly slots: number;
  readonly confHash: string;
  readonly formatLevel: number;
}

/**
 * One id, one process: when the log says this id's last incarnation is still started, its alive
 * file must stay unchanged for half the failure timeout (a crashed process), or the start is
 * refused (E_INSTANCE_DUPLICATE) naming where the other one runs. Reads the drive.
 */
export async function refuseIfAlive(o: {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly log: EventLog<ProjectionState>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}): Promise<void> {
  const { conf, self, log, clock, signal } = o;
  const prev = log.state.cluster.instances.get(self.name);
  if (prev === undefined || (prev.status !== 'started' && prev.status !== 'stopping')) return;
  const first = await readAliveFile(conf.sharedDir, self.name);
  if (first?.inc !== prev.inc) return;
  const deadline = clock.now() + conf.failureTimeoutMs / 2;
  while (clock.now() < deadline && !signal.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(conf.heartbeatMs / 2, 250)));
    const now = await readAliveFile(conf.sharedDir, self.name);
    if (now !== undefined && (now.counter !== first.counter || now.inc !== first.inc)) {
      throw new DarkroomError('E_INSTANCE_DUPLICATE', {
        instanceId: self.name,
        where: `incarnation ${now.inc}, pid ${now.beat.pid} on ${now.beat.host}, is alive (its alive file changes)`,
      });
    }
  }
}

/**
 * Appends InstanceStarted for this process (written with inc 0, never with a lost incarnation's
 * number), makes its seq the log's writer incarnation and returns it: a new incarnation of this id.
 */
export async function joinAsNewIncarnation(
  log: EventLog<ProjectionState>,
  o: {
    readonly conf: ClusterConf;
    readonly self: ServerEntry;
    readonly slots: number;
    readonly logger: Logger;
    /** Every incarnation this process started already. */
    readonly mine: ReadonlySet<number>;
    readonly signal: AbortSignal;
  },
): Promise<number> {
  const { conf, self } = o;
  log.setWriter(self.name, 0);
  const inc = await appendStarted(
    log,
    {
      instanceId: self.name,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      slots: o.slots,
      confHash: conf.hash,
      formatLevel: FORMAT_LEVEL,
    },
    o,
  );
  log.setWriter(self.name, inc);
  o.logger.info({ inc }, 'joined the cluster');
  return inc;
}

/**
 * Appends InstanceStarted and returns its seq. An append whose lock was lost (another instance
 * took it as stale on a slow drive) may or may not be in the log: catch up and look for this
 * process's own InstanceStarted (same pid and host, an incarnation it did not have yet, `mine`)
 * before trying again (at most 3 tries), so a joining instance neither gives up nor starts twice.
 */
export async function appendStarted(
  log: EventLog<ProjectionState>,
  data: StartedData,
  o: { readonly logger: Logger; readonly mine: ReadonlySet<number>; readonly signal: AbortSignal },
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [started] = await log.append([{ type: 'InstanceStarted', data }]);
      return started!.seq;
    } catch (err) {
      const unsure =
        isDarkroomError(err, 'E_LOG_LOCK_COMPROMISED') || isDarkroomError(err, 'E_LOG_NOT_ACKNOWLEDGED');
      if (!unsure || attempt >= 3 || o.signal.aborted) throw err;
      o.logger.warn({ attempt, err: asDarkroomError(err).message }, 'joining: append unsure, catching up');
      await log.catchUp();
      const view = log.state.cluster.instances.get(data.instanceId);
      if (view?.pid === data.pid && view.host === data.host && !o.mine.has(view.inc)) return view.inc;
    }
  }
}

/**
 * What the log says of this process's own id (pure): `same` while its view is this incarnation,
 * or a newer one this process started itself (a rejoin being acknowledged); `lost` when this
 * incarnation was declared lost (a zombie: rejoin); E_INSTANCE_DUPLICATE when a newer incarnation
 * of this id was started by another process (stop acting at once).
 */
export function ownIdentity(
  view: InstanceView,
  inc: number,
  mine: ReadonlySet<number>,
  me: { readonly pid: number; readonly host: string } = { pid: process.pid, host: hostname() },
): 'same' | 'lost' | DarkroomError {
  if (view.inc === inc) return view.status === 'lost' ? 'lost' : 'same';
  if (mine.has(view.inc) || (view.pid === me.pid && view.host === me.host)) return 'same';
  return new DarkroomError('E_INSTANCE_DUPLICATE', {
    instanceId: view.instanceId,
    where: `a newer incarnation ${view.inc} started as pid ${view.pid} on ${view.host}; this one (incarnation ${inc}) stops`,
  });
}
