// The instance's `log` part: opens the log through this instance's mount of the drive (newest
// matching snapshot plus the tail; the replay stops between files when a stop is asked for) and
// closes it last.
import type { Clock } from '../clock.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import { EventLog } from '../events/event-log.js';
import type { Logger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import type { Part } from './part.js';
import { writeSnapshotOffThread } from './snapshot-thread.js';

export interface LogPartOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** True while this instance acts as coordinator: only it writes snapshots. */
  readonly writesSnapshots: () => boolean;
  /** Called with the log once it is open. */
  readonly opened: (log: EventLog<ProjectionState>) => void;
}

export function logPart(o: LogPartOptions): Part {
  let log: EventLog<ProjectionState> | undefined;
  return {
    name: 'log',
    start: async (signal) => {
      const { conf, self } = o;
      log = await EventLog.open<ProjectionState>({
        sharedDir: conf.sharedDir,
        writer: { by: self.name, inc: 0 },
        projector: darkroomProjector,
        clock: o.clock,
        logger: o.logger.child({ component: 'log' }),
        lock: { staleMs: conf.lockStaleMs, updateMs: conf.lockUpdateMs },
        pollMs: conf.logPollMs,
        signal,
        // One instance writes snapshots (the acting coordinator), built off the event loop.
        snapshotWhen: o.writesSnapshots,
        snapshotWriter: async () => (await writeSnapshotOffThread(conf.sharedDir)).file,
      });
      o.opened(log);
    },
    stop: async () => {
      await log?.stop();
    },
  };
}
