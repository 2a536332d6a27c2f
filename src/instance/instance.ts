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
import { readAliveFile } from '../cluster/alive-file.js';
import type { ClusterConf, ServerEntry } from '../cluster/conf.js';
import { unavailableInstances, type Judgement } from '../cluster/decide-lost.js';
import { lookForProbe } from '../cluster/doctor-peers.js';
import type { Beat } from '../cluster/peer-messages.js';
import { PeerMesh, type PeerView } from '../cluster/peer-mesh.js';
import { EventLog } from '../events/event-log.js';
import { FORMAT_LEVEL } from '../events/event-types.js';
import { asDarkroomError, DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { timeOrderedIds, type IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import { stateDigest } from '../projections/state-digest.js';
import { VERSION } from '../version.js';
import { CoordinatorRole } from './coordinator-role.js';
import { ElectionWatch } from './election-watch.js';
import { createJobRunner } from './job-runner.js';
import { Liveness, watchEveryMs, type StorageHealth } from './liveness.js';
import { WorkerRole, type JobRunner } from './worker-role.js';
import { writeSnapshotOffThread } from './snapshot-thread.js';

export type InstanceStatus = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * One part of an instance. `start` may be aborted through `signal` (a stop was asked for); the
 * instance checks the signal after it returns too. `stop` is called only for parts whose start
 * completed, in reverse order, each even when an earlier one failed.
 */
export interface Part {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
  stop(options: { readonly force: boolean }): Promise<void>;
  /**
   * Called at once when a stop is asked for, before the instance drains (HTTP answers 503
   * E_INSTANCE_STOPPING from then on), for the parts started and the one being started.
   */
  beginStop?(): void;
}

/** Makes a part for an instance (e.g. the HTTP part); called once, in the constructor. */
export type PartFactory = (instance: Instance) => Part;

export interface InstanceOptions {
  readonly conf: ClusterConf;
  readonly self: ServerEntry;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
  /** Replaces the job runner (tests). */
  readonly runner?: JobRunner;
  /** Parts started after the built-in ones (log, mesh, join, failure detector, coordinator, worker). */
  readonly parts?: readonly PartFactory[];
  /**
   * Parts started after the log and the mesh (whose port refuses a second process with this id),
   * before this instance joins (HTTP: its set-up keeps the event loop busy for seconds on a
   * loaded machine, which once it had joined stalled its heartbeats and lease renewals and cost
   * it the coordinator role). Stopped after join, before the mesh and the log.
   */
  readonly partsBeforeJoin?: readonly PartFactory[];
}

export interface PeerStatus {
  readonly name: string;
  readonly connected: boolean;
  readonly heardAgoMs?: number;
  readonly refused?: string;
  /** The failure detector's judgement of its current incarnation (when it is started or stopping). */
  readonly judgement?: Judgement;
}

export interface InstanceStatusReport {
  readonly status: InstanceStatus;
  readonly instanceId: string;
  readonly inc: number;
  readonly coordinator: boolean;
  readonly term: number;
  readonly seq: number;
  readonly faults: number;
  readonly storage: StorageHealth;
  readonly peers: readonly PeerStatus[];
  readonly worker?: ReturnType<WorkerRole['status']>;
}

export class Instance {
  readonly #o: InstanceOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #parts: readonly Part[];
  readonly #started: Part[] = [];
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
  #startingPart: Part | undefined;
  #stopping: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #markStopped: () => void = () => undefined;
  readonly #judged = new Map<string, Judgement>();

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
    // The parts, in start order. Adding one (HTTP) is one entry here or in `o.parts`.
    this.#parts = [
      this.#logPart(),
      this.#meshPart(),
      ...(o.partsBeforeJoin ?? []).map((make) => make(this)),
      this.#joinPart(),
      this.#failureDetectorPart(),
      this.#coordinatorPart(),
      this.#workerPart(),
      ...(o.parts ?? []).map((make) => make(this)),
    ];
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
      peers: this.#peerStatus(this.#mesh?.peers() ?? [], judgements),
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

  #peerStatus(views: readonly PeerView[], judgements: ReadonlyMap<string, Judgement>): PeerStatus[] {
    const now = this.#clock.now();
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
    const signal = this.#startAbort.signal;
    for (const part of this.#parts) {
      if (signal.aborted) return;
      this.#startingPart = part;
      try {
        await part.start(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.#logger.error({ part: part.name, err: asDarkroomError(err).message }, 'start failed');
        await this.#stopParts(true);
        this.#finish();
        throw err;
      }
      this.#started.push(part);
    }
    this.#startingPart = undefined;
    if (signal.aborted) return;
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
    const told = new Set([...this.#started, ...(this.#startingPart ? [this.#startingPart] : [])]);
    for (const part of told) part.beginStop?.();
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
    await this.#stopParts(force);
    this.#finish();
  }

  async #stopParts(force: boolean): Promise<void> {
    for (const part of this.#started.splice(0).reverse()) {
      try {
        await part.stop({ force });
      } catch (err) {
        this.#fault(err, `stop: ${part.name}`);
      }
    }
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

  #logPart(): Part {
    return {
      name: 'log',
      start: async (signal) => {
        const { conf, self } = this.#o;
        this.#log = await EventLog.open<ProjectionState>({
          sharedDir: conf.sharedDir,
          writer: { by: self.name, inc: 0 },
          projector: darkroomProjector,
          clock: this.#clock,
          logger: this.#logger.child({ component: 'log' }),
          lock: { staleMs: conf.lockStaleMs, updateMs: conf.lockUpdateMs },
          pollMs: conf.logPollMs,
          signal,
          // One instance writes snapshots (the acting coordinator), built off the event loop.
          snapshotWhen: () => this.#coordinator !== undefined,
          snapshotWriter: async () => (await writeSnapshotOffThread(conf.sharedDir)).file,
        });
      },
      stop: async () => {
        await this.#log?.stop();
      },
    };
  }

  #meshPart(): Part {
    let undoWritten: (() => void) | undefined;
    return {
      name: 'mesh',
      start: async () => {
        const { conf, self } = this.#o;
        const log = this.#log!;
        const mesh = new PeerMesh({
          self,
          servers: conf.servers,
          secret: conf.secret,
          heartbeatMs: conf.heartbeatMs,
          idleCloseMs: conf.failureTimeoutMs,
          beat: () => this.beat(),
          onBeat: (peer, beat) => this.#liveness.heard(peer, beat),
          onGrew: () => log.wake(),
          // `darkroom doctor --conf` between servers: does this mount see a probe file yet?
          onDoctorLook: async (rel) => lookForProbe(conf.sharedDir, rel),
          confHash: conf.hash,
          clock: this.#clock,
          logger: this.#logger.child({ component: 'mesh' }),
        });
        try {
          await mesh.start();
        } catch (err) {
          await mesh.stop();
          throw this.#portError(err);
        }
        this.#mesh = mesh;
        // "The log grew": peers read the new batch at once instead of at their next poll.
        undoWritten = log.onWritten((seq) => mesh.announceGrew(seq));
      },
      stop: async () => {
        undoWritten?.();
        await this.#mesh?.stop();
      },
    };
  }

  #portError(err: unknown): unknown {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err;
    const { self } = this.#o;
    const prev = this.#log?.state.cluster.instances.get(self.name);
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

  #joinPart(): Part {
    return {
      name: 'join',
      start: async (signal) => {
        await this.#refuseIfAlive(signal);
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

  /**
   * One id, one process: when the log says this id's last incarnation is still started, its alive
   * file must stay unchanged for half the failure timeout (a crashed process), or the start is
   * refused naming where the other one runs.
   */
  async #refuseIfAlive(signal: AbortSignal): Promise<void> {
    const { conf, self } = this.#o;
    const prev = this.#log!.state.cluster.instances.get(self.name);
    if (prev === undefined || (prev.status !== 'started' && prev.status !== 'stopping')) return;
    const first = await readAliveFile(conf.sharedDir, self.name);
    if (first?.inc !== prev.inc) return;
    const deadline = this.#clock.now() + conf.failureTimeoutMs / 2;
    while (this.#clock.now() < deadline && !signal.aborted) {
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

  /** Appends InstanceStarted: a new incarnation of this id. */
  async #announce(): Promise<void> {
    const { conf, self } = this.#o;
    const log = this.#log!;
    this.#joining = true;
    // A new incarnation writes its InstanceStarted with inc 0, never with a lost one's incarnation.
    log.setWriter(self.name, 0);
    try {
      this.#inc = await this.#appendStarted({
        instanceId: self.name,
        host: hostname(),
        pid: process.pid,
        version: VERSION,
        slots: this.#slots,
        confHash: conf.hash,
        formatLevel: FORMAT_LEVEL,
      });
      this.#myIncs.add(this.#inc);
      log.setWriter(self.name, this.#inc);
    } finally {
      this.#joining = false;
    }
    this.#logger.info({ inc: this.#inc }, 'joined the cluster');
  }

  /**
   * Appends InstanceStarted and returns its seq. An append whose lock was lost (another instance
   * took it as stale on a slow drive) may or may not be in the log: catch up and look for this
   * process's own InstanceStarted before trying again (at most 3 tries), so a joining instance
   * neither gives up nor starts twice.
   */
  async #appendStarted(data: {
    instanceId: string;
    host: string;
    pid: number;
    version: string;
    slots: number;
    confHash: string;
    formatLevel: number;
  }): Promise<number> {
    const log = this.#log!;
    for (let attempt = 1; ; attempt++) {
      try {
        const [started] = await log.append([{ type: 'InstanceStarted', data }]);
        return started!.seq;
      } catch (err) {
        const unsure =
          isDarkroomError(err, 'E_LOG_LOCK_COMPROMISED') || isDarkroomError(err, 'E_LOG_NOT_ACKNOWLEDGED');
        if (!unsure || attempt >= 3 || this.#startAbort.signal.aborted) throw err;
        this.#logger.warn(
          { attempt, err: asDarkroomError(err).message },
          'joining: append unsure, catching up',
        );
        await log.catchUp();
        const view = log.state.cluster.instances.get(data.instanceId);
        if (view?.pid === data.pid && view.host === data.host && !this.#myIncs.has(view.inc)) return view.inc;
      }
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
        this.#election = new ElectionWatch({
          log,
          sharedDir: conf.sharedDir,
          self: () => ({ instanceId: this.#o.self.name, inc: this.#inc }),
          clock: this.#clock,
          failureTimeoutMs: conf.failureTimeoutMs,
          heartbeatMs: conf.heartbeatMs,
          logger: this.#logger.child({ component: 'election' }),
          actingCoordinator: () => this.#coordinator !== undefined,
          heardActing: (id, inc, term) => {
            const b = this.#liveness.lastBeat(id);
            return (
              b !== undefined &&
              b.beat.inc === inc &&
              b.beat.coordinator &&
              b.beat.term === term &&
              this.#clock.now() - b.at < conf.failureTimeoutMs
            );
          },
          unfit: () => {
            const out = new Set<string>();
            for (const [id, j] of this.#liveness.judgements(log.state))
              if (j === 'silent' || j === 'stalled') out.add(id);
            return out;
          },
          // A log reader that cannot follow (reader-health.ts) leaves a projection behind the log.
          fit: () => !this.#liveness.storage().stalled && log.notFollowingMs() === undefined,
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
    const { conf, self } = this.#o;
    return new WorkerRole({
      log: this.#log!,
      self: { instanceId: self.name, inc: this.#inc },
      slots: this.#slots,
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
      sharedDir: conf.sharedDir,
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
    this.#warnUnreachable();
  }

  /** Logs once when a peer becomes unreachable on the cluster port although alive on the drive. */
  #warnUnreachable(): void {
    const log = this.#log;
    if (log === undefined) return;
    const now = this.#liveness.judgements(log.state);
    for (const [id, j] of now) {
      const was = this.#judged.get(id);
      if (was === j) continue;
      this.#judged.set(id, j);
      const entry = this.#o.conf.servers.find((s) => s.name === id);
      const port = entry?.clusterPort ?? this.#o.conf.clusterPort;
      if (j === 'unreachable') {
        this.#logger.warn(
          { peer: id, port },
          `${id} is alive but unreachable on port ${port}: its alive file on the drive changes, but no heartbeat has come for the failure timeout; check the firewall between ${this.#o.self.name} and ${id}`,
        );
      } else if (j === 'stalled') {
        this.#logger.warn({ peer: id }, `${id} is alive, storage stalled: it gets no new work`);
      } else if (was === 'unreachable' || was === 'stalled') {
        this.#logger.info({ peer: id, judgement: j }, `${id} is ${j} again`);
      }
    }
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
    if (view.inc !== this.#inc) {
      if (this.#myIncs.has(view.inc) || (view.pid === process.pid && view.host === hostname())) return;
      this.#failure = new DarkroomError('E_INSTANCE_DUPLICATE', {
        instanceId: this.#o.self.name,
        where: `a newer incarnation ${view.inc} started as pid ${view.pid} on ${view.host}; this one (incarnation ${this.#inc}) stops`,
      });
      this.#logger.error(
        { code: this.#failure.code, inc: this.#inc, newer: view.inc },
        this.#failure.message,
      );
      const role = this.#coordinator;
      this.#coordinator = undefined;
      void role?.stop();
      void this.#worker?.abandon();
      void this.stop({ reason: this.#failure.message, force: true });
      return;
    }
    if (view.status === 'lost') void this.#rejoin();
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
      const { conf } = this.#o;
      const next = new CoordinatorRole({
        log,
        conf,
        self: { instanceId: this.#o.self.name, inc: this.#inc },
        term: c.term,
        clock: this.#clock,
        ids: this.#o.ids ?? timeOrderedIds(() => this.#clock.wallTime()),
        logger: this.#logger.child({ component: 'coordinator', term: c.term }),
        onFault: this.#fault,
        onStepDown: (reason: string) => {
          this.#logger.warn({ term: c.term, reason }, 'stepping down as coordinator');
          this.#steppedDownTerm = Math.max(this.#steppedDownTerm, c.term);
          if (this.#coordinator === next) this.#coordinator = undefined;
          void next.stop();
        },
        observations: () => this.#liveness.observations(log.state),
        unavailable: () => {
          const out = unavailableInstances(this.#liveness.observations(log.state), this.#clock.now(), {
            failureTimeoutMs: conf.failureTimeoutMs,
          });
          if (this.#liveness.storage().stalled || log.notFollowingMs() !== undefined)
            out.add(this.#o.self.name);
          // All of them unfit (a drive slow for everyone): holding work back would help no one.
          const started = [...log.state.cluster.instances.values()].filter((v) => v.status === 'started');
          return started.every((v) => out.has(v.instanceId)) ? new Set<string>() : out;
        },
      });
      this.#coordinator = next;
      this.#logger.info({ term: c.term }, 'acting as coordinator');
      next.start();
    }
  }
}
