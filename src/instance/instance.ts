// One darkroom instance: an ordered list of parts (log, mesh, join, failure detector, coordinator,
// worker, and whatever the caller adds, e.g. HTTP), started in order and stopped in reverse. A stop
// asked for while starting is honoured after every await: the part being started is aborted (the
// log's replay stops between files) and only the parts already started are stopped.
// The instance also watches its own identity in the log: declared lost (a zombie after a pause,
// or its drive stalled past the failure timeout) it drops its work and rejoins as a new
// incarnation; replaced by a newer incarnation of its id that is not its own (a second process
// with the same id), it stops acting at once and ends with E_INSTANCE_DUPLICATE.
import { hostname, availableParallelism } from 'node:os';
import { systemClock, type Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import type { Judgement } from '../cluster/decide-lost.js';
import type { Beat } from '../cluster/peer-messages.js';
import type { PeerMesh } from '../cluster/peer-mesh.js';
import type { EventLog } from '../events/event-log.js';
import { asDarkroomError, DarkroomError } from '../errors/darkroom-error.js';
import { timeOrderedIds } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { stateDigest } from '../projections/state-digest.js';
import type { CoordinatorRole } from './coordinator-role.js';
import { newCoordinatorRole, newElectionWatch } from './coordinator-seat.js';
import type { ElectionWatch } from './election-watch.js';
import { joinAsNewIncarnation, ownIdentity, refuseIfAlive } from './join-cluster.js';
import { Liveness, watchEveryMs } from './liveness.js';
import { logPart } from './log-part.js';
import { meshPart } from './mesh-part.js';
import type { InstanceOptions, InstanceStatus, InstanceStatusReport } from './instance-options.js';
import { PartSequence, type Part } from './part.js';
import { peerStatus, PeerWarnings } from './peer-status.js';
import type { WorkerRole } from './worker-role.js';
import { newWorker } from './worker-part.js';

export type { Part } from './part.js';
export type { PeerStatus } from './peer-status.js';

export type {
  InstanceOptions,
  InstanceStatus,
  InstanceStatusReport,
  PartFactory,
} from './instance-options.js';

export class Instance {
  readonly #o: InstanceOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #parts: PartSequence;
  readonly #startAbort = new AbortController();
  readonly #slots: number;
  #status: InstanceStatus = 'starting';
  #log: EventLog<ProjectionState> | undefined;
  #mesh: PeerMesh | undefined;
  readonly #liveness: Liveness;
  #inc = 0;
  /** Every incarnation this process started (a rejoin adds one). */
  readonly #myIncs = new Set<number>();
  #joining = false;
  #worker: WorkerRole | undefined;
  #election: ElectionWatch | undefined;
  #coordinator: CoordinatorRole | undefined;
  /** The highest term this instance stepped down from: it never acts for that term again. */
  #steppedDownTerm = 0;
  #beat: NodeJS.Timeout | undefined;
  #undoApplied: (() => void) | undefined;
  #faults = 0;
  #failure: DarkroomError | undefined;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #markStopped: () => void = () => undefined;
  readonly #peerWarnings: PeerWarnings;

  constructor(o: InstanceOptions) {
    this.#o = o;
    this.#stopped = new Promise((resolve) => {
      this.#markStopped = resolve;
    });
    this.#clock = o.clock ?? systemClock;
    this.#logger = o.logger.child({ instanceId: o.self.name });
    // One slot more than CPUs: a job's file work (publish with fsync, log appends) overlaps
    // another job's image work instead of leaving a core idle (docs/configuration.md).
    this.#slots = o.conf.slots ?? availableParallelism() + 1;
    this.#liveness = new Liveness({
      sharedDir: o.conf.sharedDir,
      instanceId: o.self.name,
      clock: this.#clock,
      heartbeatMs: o.conf.heartbeatMs,
      failureTimeoutMs: o.conf.failureTimeoutMs,
      logger: this.#logger.child({ component: 'liveness' }),
      beat: () => this.beat(),
      inc: () => this.#inc,
      peers: () => this.#mesh?.peers() ?? [],
      judging: () => this.#coordinator !== undefined,
    });
    this.#peerWarnings = new PeerWarnings(o.conf, o.self.name, this.#logger);
    // The parts, in start order. Adding one (HTTP) is one entry here or in `o.parts`.
    this.#parts = new PartSequence([
      logPart({
        conf: o.conf,
        self: o.self,
        clock: this.#clock,
        logger: this.#logger,
        writesSnapshots: () => this.#coordinator !== undefined,
        opened: (log) => (this.#log = log),
      }),
      meshPart({
        conf: o.conf,
        self: o.self,
        clock: this.#clock,
        logger: this.#logger,
        log: () => this.#log!,
        beat: () => this.beat(),
        onBeat: (peer, beat) => this.#liveness.heard(peer, beat),
        started: (mesh) => (this.#mesh = mesh),
      }),
      ...(o.partsBeforeJoin ?? []).map((make) => make(this)),
      this.#joinPart(),
      this.#failureDetectorPart(),
      this.#coordinatorPart(),
      this.#workerPart(),
      ...(o.parts ?? []).map((make) => make(this)),
    ]);
  }

  // --- what others read --------------------------------------------------------------

  status(): InstanceStatusReport {
    const judgements =
      this.#log === undefined ? new Map<string, Judgement>() : this.#liveness.judgements(this.#log.state);
    return {
      status: this.#status,
      instanceId: this.#o.self.name,
      inc: this.#inc,
      coordinator: this.#coordinator !== undefined,
      term: this.#log?.state.cluster.term ?? 0,
      seq: this.#log?.seq ?? 0,
      faults: this.#faults,
      storage: this.#liveness.storage(),
      peers: peerStatus(this.#mesh?.peers() ?? [], judgements, this.#clock.now()),
      ...(this.#worker !== undefined ? { worker: this.#worker.status() } : {}),
    };
  }

  /** This instance's heartbeat now, from memory only (the heartbeat path touches no drive). */
  beat(): Beat {
    const w = this.#worker?.status();
    const running = w?.running ?? 0;
    return {
      instanceId: this.#o.self.name,
      inc: this.#inc,
      status: this.#status,
      term: this.#log?.state.cluster.term ?? 0,
      coordinator: this.#coordinator !== undefined,
      seq: this.#log?.seq ?? 0,
      slots: this.#slots,
      running,
      load: this.#slots > 0 ? running / this.#slots : 0,
      confHash: this.#o.conf.hash,
      storage: this.#liveness.storage(),
      pid: process.pid,
      host: hostname(),
    };
  }

  /** Resolves when the instance has stopped (after a signal, stop(), a failed start or E_INSTANCE_DUPLICATE). */
  async whenStopped(): Promise<void> {
    return this.#stopped;
  }

  /** Why the instance ended by itself (E_INSTANCE_DUPLICATE), if it did. */
  failure(): DarkroomError | undefined {
    return this.#failure;
  }

  get log(): EventLog<ProjectionState> | undefined {
    return this.#log;
  }

  get conf(): ClusterConf {
    return this.#o.conf;
  }

  get logger(): Logger {
    return this.#logger;
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

  // --- lifecycle ---------------------------------------------------------------------

  /**
   * Starts the parts in order. Resolves once running, or once a stop asked for meanwhile has been
   * honoured; rejects when a part fails (the parts already started are stopped first).
   */
  async start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    let started: boolean;
    try {
      started = await this.#parts.start(this.#startAbort.signal, this.#logger, this.#fault);
    } catch (err) {
      this.#finish();
      throw err;
    }
    if (!started) return;
    this.#status = 'running';
    this.#logger.info({ inc: this.#inc, slots: this.#slots, seq: this.#log?.seq }, 'instance started');
    await this.#tick();
  }

  /**
   * Drains and stops: InstanceStopping, the parts stopped in reverse (the worker finishes or
   * releases its jobs within drainTimeoutMs — `force`: at once —, the coordinator hands over),
   * InstanceStopped, log closed. Idempotent; a stop during start waits for the part being started.
   */
  async stop(options: { reason?: string; force?: boolean } = {}): Promise<void> {
    if (options.force === true) this.#worker?.hurry();
    this.#stopping ??= this.#stop(options.reason ?? 'stop requested', options.force === true);
    return this.#stopping;
  }

  async #stop(reason: string, force: boolean): Promise<void> {
    if (this.#status === 'stopped') return;
    this.#status = 'stopping';
    this.#parts.beginStop();
    this.#startAbort.abort(new DarkroomError('E_INSTANCE_STOPPING', { instanceId: this.#o.self.name }));
    await this.#starting?.catch(() => undefined);
    if ((this.#status as InstanceStatus) === 'stopped') return;
    this.#worker?.stopTaking();
    if (this.#inc > 0 && this.#failure === undefined) {
      try {
        await this.#log?.append([
          { type: 'InstanceStopping', data: { instanceId: this.#o.self.name, inc: this.#inc, reason } },
        ]);
      } catch (err) {
        this.#fault(err, 'stop: announce stopping');
      }
    }
    await this.#parts.stop(force, this.#fault);
    this.#finish();
  }

  #finish(): void {
    this.#status = 'stopped';
    // The projection's digest at its last seq: equal on every instance at the same seq (invariant 2).
    const log = this.#log;
    const at = log === undefined ? {} : { seq: log.seq, digest: stateDigest(log.state) };
    this.#logger.info({ inc: this.#inc, ...at }, 'instance stopped');
    this.#markStopped();
  }

  // --- the parts -----------------------------------------------------------------------

  #joinPart(): Part {
    return {
      name: 'join',
      start: async (signal) => {
        const { conf, self } = this.#o;
        await refuseIfAlive({ conf, self, log: this.#log!, clock: this.#clock, signal });
        if (signal.aborted) return;
        await this.#announce();
      },
      stop: async () => {
        if (this.#inc === 0 || this.#failure !== undefined) return;
        await this.#log?.append([
          { type: 'InstanceStopped', data: { instanceId: this.#o.self.name, inc: this.#inc } },
        ]);
      },
    };
  }

  /** Appends InstanceStarted: a new incarnation of this id. */
  async #announce(): Promise<void> {
    this.#joining = true;
    try {
      this.#inc = await joinAsNewIncarnation(this.#log!, {
        conf: this.#o.conf,
        self: this.#o.self,
        slots: this.#slots,
        logger: this.#logger,
        mine: this.#myIncs,
        signal: this.#startAbort.signal,
      });
      this.#myIncs.add(this.#inc);
    } finally {
      this.#joining = false;
    }
  }

  #failureDetectorPart(): Part {
    return {
      name: 'failure detector',
      start: async () => {
        await this.#liveness.writeNow().catch((err: unknown) => this.#fault(err, 'alive file'));
        this.#liveness.start();
      },
      stop: async () => {
        this.#liveness.stop();
      },
    };
  }

  #coordinatorPart(): Part {
    return {
      name: 'coordinator',
      start: async () => {
        const log = this.#log!;
        const { conf } = this.#o;
        this.#election = newElectionWatch({
          log,
          conf: this.#o.conf,
          clock: this.#clock,
          logger: this.#logger,
          liveness: this.#liveness,
          self: () => ({ instanceId: this.#o.self.name, inc: this.#inc }),
          acting: () => this.#coordinator !== undefined,
        });
        this.#undoApplied = log.onApplied(() => {
          this.#checkIdentity();
          this.#reconcileRole();
        });
        log.startFollowing();
        // The election watch reads the lease and checks its deadline every watchEveryMs (a quarter
        // of a second by default), not every heartbeat: see watchEveryMs.
        this.#beat = setInterval(
          () => void this.#tick(),
          watchEveryMs(conf.heartbeatMs, conf.failureTimeoutMs),
        );
      },
      stop: async () => {
        clearInterval(this.#beat);
        this.#undoApplied?.();
        const role = this.#coordinator;
        this.#coordinator = undefined;
        await role?.stop();
      },
    };
  }

  #workerPart(): Part {
    return {
      name: 'worker',
      start: async () => {
        this.#worker = this.#newWorker();
        this.#worker.start();
      },
      stop: async ({ force }) => {
        const w = this.#worker;
        if (this.#failure !== undefined) await w?.abandon();
        else await w?.drain(force ? 0 : this.#o.conf.drainTimeoutMs);
      },
    };
  }

  #newWorker(): WorkerRole {
    return newWorker({
      conf: this.#o.conf,
      self: { instanceId: this.#o.self.name, inc: this.#inc },
      log: this.#log!,
      slots: this.#slots,
      clock: this.#clock,
      logger: this.#logger,
      onFault: this.#fault,
      ...(this.#o.runner !== undefined ? { runner: this.#o.runner } : {}),
    });
  }

  // --- while running -------------------------------------------------------------------

  async #tick(): Promise<void> {
    if (this.#status === 'stopping' || this.#status === 'stopped') return;
    try {
      await this.#election?.beat(this.#startAbort.signal);
    } catch (err) {
      this.#fault(err, 'election');
    }
    this.#checkIdentity();
    this.#reconcileRole();
    if (this.#log !== undefined) this.#peerWarnings.update(this.#liveness.judgements(this.#log.state));
  }

  /**
   * Lost → drop the work and rejoin as a new incarnation. Replaced by an incarnation of this id
   * that this process did not start → stop acting at once, end with E_INSTANCE_DUPLICATE.
   */
  #checkIdentity(): void {
    const log = this.#log;
    if (log === undefined || this.#inc === 0 || this.#joining || this.#failure !== undefined) return;
    if (this.#status !== 'running') return;
    const view = log.state.cluster.instances.get(this.#o.self.name);
    if (view === undefined) return;
    const verdict = ownIdentity(view, this.#inc, this.#myIncs);
    if (verdict instanceof DarkroomError) {
      this.#failure = verdict;
      this.#logger.error(
        { code: this.#failure.code, inc: this.#inc, newer: view.inc },
        this.#failure.message,
      );
      const role = this.#coordinator;
      this.#coordinator = undefined;
      void role?.stop();
      void this.#worker?.abandon();
      void this.stop({ reason: this.#failure.message, force: true });
    } else if (verdict === 'lost') void this.#rejoin();
  }

  async #rejoin(): Promise<void> {
    if (this.#joining) return;
    this.#joining = true;
    const old = this.#inc;
    this.#logger.warn(
      { inc: old },
      'this incarnation was declared lost: dropping its work without publishing, rejoining as a new incarnation',
    );
    try {
      const role = this.#coordinator;
      this.#coordinator = undefined;
      await role?.stop();
      await this.#worker?.abandon();
      if (this.#status !== 'running') return;
      this.#joining = false;
      await this.#announce();
      if (this.#status !== 'running') return;
      this.#worker = this.#newWorker();
      this.#worker.start();
      this.#logger.info({ inc: this.#inc, was: old }, 'rejoined as a new incarnation');
    } catch (err) {
      this.#fault(err, 'rejoin');
    } finally {
      this.#joining = false;
    }
  }

  /** Starts or stops the coordinator role to match the projection's coordinator. */
  #reconcileRole(): void {
    const log = this.#log;
    if (log === undefined) return;
    const c = log.state.cluster.coordinator;
    const mine =
      this.#status === 'running' &&
      this.#failure === undefined &&
      !this.#joining &&
      c?.instanceId === this.#o.self.name &&
      c.inc === this.#inc &&
      log.state.cluster.instances.get(c.instanceId)?.status === 'started';
    const role = this.#coordinator;
    if (role !== undefined && (!mine || role.term !== c.term)) {
      this.#coordinator = undefined;
      void role.stop();
    }
    if (mine && this.#coordinator === undefined && c.term > this.#steppedDownTerm) {
      const next = newCoordinatorRole({
        log,
        conf: this.#o.conf,
        clock: this.#clock,
        logger: this.#logger,
        liveness: this.#liveness,
        self: { instanceId: this.#o.self.name, inc: this.#inc },
        term: c.term,
        ids: this.#o.ids ?? timeOrderedIds(() => this.#clock.wallTime()),
        onFault: this.#fault,
        onStepDown: (reason: string) => {
          this.#logger.warn({ term: c.term, reason }, 'stepping down as coordinator');
          this.#steppedDownTerm = Math.max(this.#steppedDownTerm, c.term);
          if (this.#coordinator === next) this.#coordinator = undefined;
          void next.stop();
        },
      });
      this.#coordinator = next;
      this.#logger.info({ term: c.term }, 'acting as coordinator');
      next.start();
    }
  }
}
