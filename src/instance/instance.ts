// One darkroom instance: opens the log, announces itself (InstanceStarted), follows the log, takes
// the coordinator role when elected, works on its assignments, and drains on stop.
import { hostname } from 'node:os';
import { availableParallelism } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import { EventLog } from '../events/event-log.js';
import { FORMAT_LEVEL } from '../events/event-types.js';
import { asDarkroomError } from '../errors/darkroom-error.js';
import { timeOrderedIds, type IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import { VERSION } from '../version.js';
import { CoordinatorRole } from './coordinator-role.js';
import { ElectionWatch } from './election-watch.js';
import { createJobRunner } from './job-runner.js';
import { WorkerRole, type JobRunner } from './worker-role.js';

export type InstanceStatus = 'starting' | 'running' | 'stopping' | 'stopped';

export interface InstanceOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
  /** Replaces the job runner (tests). */
  readonly runner?: JobRunner;
}

export interface InstanceStatusReport {
  readonly status: InstanceStatus;
  readonly instanceId: string;
  readonly inc: number;
  readonly coordinator: boolean;
  readonly seq: number;
  readonly faults: number;
  readonly worker?: ReturnType<WorkerRole['status']>;
}

export class Instance {
  readonly #o: InstanceOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #status: InstanceStatus = 'starting';
  #log: EventLog<ProjectionState> | undefined;
  #inc = 0;
  #worker: WorkerRole | undefined;
  #election: ElectionWatch | undefined;
  #coordinator: CoordinatorRole | undefined;
  /** The term this instance stepped down from and when (monotonic): it acts for that term again only
   *  after the failure timeout, when nobody else has been elected meanwhile (the log fences it). */
  #steppedDown = { term: 0, at: 0 };
  #beat: NodeJS.Timeout | undefined;
  #undoApplied: (() => void) | undefined;
  #faults = 0;
  #stopping: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #markStopped: () => void = () => undefined;

  constructor(o: InstanceOptions) {
    this.#o = o;
    this.#stopped = new Promise((resolve) => {
      this.#markStopped = resolve;
    });
    this.#clock = o.clock ?? systemClock;
    this.#logger = o.logger.child({ instanceId: o.self.name });
  }

  status(): InstanceStatusReport {
    return {
      status: this.#status,
      instanceId: this.#o.self.name,
      inc: this.#inc,
      coordinator: this.#coordinator !== undefined,
      seq: this.#log?.seq ?? 0,
      faults: this.#faults,
      ...(this.#worker !== undefined ? { worker: this.#worker.status() } : {}),
    };
  }

  /** Resolves when the instance has stopped (after a signal, stop(), or a failed start). */
  async whenStopped(): Promise<void> {
    return this.#stopped;
  }

  get log(): EventLog<ProjectionState> | undefined {
    return this.#log;
  }

  /** Logs a fault with seq and term, counts it; the process stays alive. */
  #fault = (err: unknown, where: string): void => {
    this.#faults++;
    const e = asDarkroomError(err);
    this.#logger.error(
      { where, code: e.code, err: e.message, seq: this.#log?.seq, term: this.#log?.state.cluster.term },
      'fault',
    );
  };

  async start(): Promise<void> {
    const { conf, self } = this.#o;
    // One slot more than CPUs: a job's file work (publish with fsync, log appends) overlaps
    // another job's image work instead of leaving a core idle (docs/configuration.md).
    const slots = conf.slots ?? availableParallelism() + 1;
    const log = await EventLog.open<ProjectionState>({
      sharedDir: conf.sharedDir,
      writer: { by: self.name, inc: 0 },
      projector: darkroomProjector,
      clock: this.#clock,
      logger: this.#logger.child({ component: 'log' }),
      lock: { staleMs: conf.lockStaleMs, updateMs: conf.lockUpdateMs },
      pollMs: conf.logPollMs,
    });
    this.#log = log;
    const [started] = await log.append([
      {
        type: 'InstanceStarted',
        data: {
          instanceId: self.name,
          host: hostname(),
          pid: process.pid,
          version: VERSION,
          slots,
          confHash: conf.hash,
          formatLevel: FORMAT_LEVEL,
        },
      },
    ]);
    this.#inc = started!.seq;
    log.setWriter(self.name, this.#inc);
    const me = { instanceId: self.name, inc: this.#inc };
    this.#logger.info({ inc: this.#inc, slots, seq: log.seq }, 'instance started');

    this.#worker = new WorkerRole({
      log,
      self: me,
      slots,
      runner:
        this.#o.runner ??
        createJobRunner({
          sharedDir: conf.sharedDir,
          instanceId: self.name,
          maxAttempts: conf.maxAttempts,
          pollHotfolders: conf.pollHotfolders,
          clock: this.#clock,
          logger: this.#logger.child({ component: 'job' }),
        }),
      clock: this.#clock,
      logger: this.#logger.child({ component: 'worker' }),
      onFault: this.#fault,
    });
    this.#election = new ElectionWatch({
      log,
      sharedDir: conf.sharedDir,
      self: me,
      clock: this.#clock,
      failureTimeoutMs: conf.failureTimeoutMs,
      logger: this.#logger.child({ component: 'election' }),
      actingCoordinator: () => this.#coordinator !== undefined,
    });
    this.#undoApplied = log.onApplied(() => this.#reconcileRole());
    log.startFollowing();
    this.#worker.start();
    this.#status = 'running';
    await this.#tick();
    this.#beat = setInterval(() => void this.#tick(), conf.heartbeatMs);
  }

  async #tick(): Promise<void> {
    if (this.#status !== 'running') return;
    try {
      await this.#election?.beat();
    } catch (err) {
      this.#fault(err, 'election');
    }
    this.#reconcileRole();
  }

  /** Starts or stops the coordinator role to match the projection's coordinator. */
  #reconcileRole(): void {
    const log = this.#log;
    if (log === undefined) return;
    const c = log.state.cluster.coordinator;
    const mine = this.#status === 'running' && c?.instanceId === this.#o.self.name && c.inc === this.#inc;
    const role = this.#coordinator;
    if (role !== undefined && (!mine || role.term !== c.term)) {
      this.#coordinator = undefined;
      void role.stop();
    }
    const cooling =
      c?.term === this.#steppedDown.term &&
      this.#clock.now() - this.#steppedDown.at < this.#o.conf.failureTimeoutMs;
    if (mine && this.#coordinator === undefined && !cooling) {
      const next = new CoordinatorRole({
        log,
        conf: this.#o.conf,
        self: { instanceId: this.#o.self.name, inc: this.#inc },
        term: c.term,
        clock: this.#clock,
        ids: this.#o.ids ?? timeOrderedIds(() => this.#clock.wallTime()),
        logger: this.#logger.child({ component: 'coordinator', term: c.term }),
        onFault: this.#fault,
        onStepDown: (reason: string) => {
          this.#logger.warn({ term: c.term, reason }, 'stepping down as coordinator');
          this.#steppedDown = { term: c.term, at: this.#clock.now() };
          if (this.#coordinator === next) this.#coordinator = undefined;
          void next.stop();
        },
      });
      this.#coordinator = next;
      this.#logger.info({ term: c.term }, 'acting as coordinator');
      next.start();
    }
  }

  /**
   * Drains and stops: InstanceStopping, coordinator handed over at once, running jobs finished or
   * released within drainTimeoutMs (`force`: at once), InstanceStopped, log closed. Idempotent.
   */
  async stop(options: { reason?: string; force?: boolean } = {}): Promise<void> {
    if (options.force === true) this.#worker?.hurry();
    this.#stopping ??= this.#stop(options.reason ?? 'stop requested', options.force === true);
    return this.#stopping;
  }

  async #stop(reason: string, force: boolean): Promise<void> {
    const log = this.#log;
    const wasRunning = this.#status === 'running';
    this.#status = 'stopping';
    this.#worker?.stopTaking();
    clearInterval(this.#beat);
    const steps: [string, () => Promise<unknown>][] = [
      [
        'announce stopping',
        async () =>
          wasRunning &&
          log?.append([
            { type: 'InstanceStopping', data: { instanceId: this.#o.self.name, inc: this.#inc, reason } },
          ]),
      ],
      [
        'hand over coordinator',
        async () => {
          const role = this.#coordinator;
          this.#coordinator = undefined;
          await role?.stop();
        },
      ],
      ['drain', async () => this.#worker?.drain(force ? 0 : this.#o.conf.drainTimeoutMs)],
      [
        'announce stopped',
        async () =>
          wasRunning &&
          log?.append([{ type: 'InstanceStopped', data: { instanceId: this.#o.self.name, inc: this.#inc } }]),
      ],
      ['close log', async () => log?.stop()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.#fault(err, `stop: ${name}`);
      }
    }
    this.#undoApplied?.();
    this.#status = 'stopped';
    this.#logger.info({ inc: this.#inc }, 'instance stopped');
    this.#markStopped();
  }
}
