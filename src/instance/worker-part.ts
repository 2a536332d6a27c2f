// The instance's worker for one incarnation: a WorkerRole running the jobs assigned to that
// incarnation with the job runner built from the conf (or the one a test gives).
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import type { EventLog } from '../events/event-log.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { createJobRunner } from './job-runner.js';
import { WorkerRole, type JobRunner } from './worker-role.js';

export function newWorker(o: {
  readonly conf: ClusterConf;
  readonly self: { readonly instanceId: string; readonly inc: number };
  readonly log: EventLog<ProjectionState>;
  readonly slots: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onFault: (err: unknown, where: string) => void;
  /** Replaces the job runner (tests). */
  readonly runner?: JobRunner;
}): WorkerRole {
  const { conf, self } = o;
  return new WorkerRole({
    log: o.log,
    self,
    slots: o.slots,
    runner:
      o.runner ??
      createJobRunner({
        sharedDir: conf.sharedDir,
        instanceId: self.instanceId,
        maxAttempts: conf.maxAttempts,
        pollHotfolders: conf.pollHotfolders,
        clock: o.clock,
        logger: o.logger.child({ component: 'job' }),
      }),
    clock: o.clock,
    logger: o.logger.child({ component: 'worker' }),
    onFault: o.onFault,
    sharedDir: conf.sharedDir,
  });
}
