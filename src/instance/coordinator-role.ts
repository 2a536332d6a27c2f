// The coordinator role of one term: renews the lease every beat, watches the input folders of the
// active channels and submits ready files, recovers orphaned work, marks channels on standby,
// purges on schedule, packs log batches into segments now and then, declares silent instances
// lost (decideLost), and assigns submitted jobs after every applied batch to instances fit for
// work. Every append it makes that only a coordinator may make is fenced by its term; once it
// stops or steps down, its appends not yet written are withdrawn, so it never acts for its term
// again.
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import { decideAssignments } from '../cluster/decide-assignments.js';
import { decideLost, type Observation } from '../cluster/decide-lost.js';
import { LeaseHolder } from '../cluster/lease.js';
import type { Condition } from '../events/conditions.js';
import type { EventLog } from '../events/event-log.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { logTimings } from '../events/log-options.js';
import { packLog } from '../events/segment-pack.js';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { ChannelWatchers } from './channel-watchers.js';
import { Ingest } from './ingest.js';
import { watchEveryMs } from './liveness.js';
import { PurgeSchedule } from './purge-schedule.js';
import { SerialTask } from './serial-task.js';

export interface CoordinatorRoleOptions {
  readonly log: EventLog<ProjectionState>;
  readonly conf: ClusterConf;
  readonly self: { readonly instanceId: string; readonly inc: number };
  readonly term: number;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly onFault: (err: unknown, where: string) => void;
  /** Called once when the role gives itself up (lease not renewed for half the failure timeout, or a newer term holds it). */
  readonly onStepDown: (reason: string) => void;
  /** What the failure detector knows of the other instances now (memory only). */
  readonly observations?: () => ReadonlyMap<string, Observation>;
  /** Instances that get no new work now (storage stalled, or quiet for half the failure timeout). */
  readonly unavailable?: () => ReadonlySet<string>;
}

export type RoleStatus = 'starting' | 'running' | 'stopping' | 'stopped';

export class CoordinatorRole {
  readonly #o: CoordinatorRoleOptions;
  readonly #lease: LeaseHolder;
  readonly #assign: SerialTask;
  readonly #ingest: Ingest;
  readonly #watchers: ChannelWatchers;
  readonly #purge: PurgeSchedule;
  readonly #abort = new AbortController();
  #status: RoleStatus = 'starting';
  #beat: NodeJS.Timeout | undefined;
  #lostTimer: NodeJS.Timeout | undefined;
  #orphanTimer: NodeJS.Timeout | undefined;
  #packTimer: NodeJS.Timeout | undefined;
  #packing: Promise<void> | undefined;
  #undo: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #renewing = false;

  constructor(o: CoordinatorRoleOptions) {
    this.#o = o;
    this.#lease = new LeaseHolder(o.conf.sharedDir, o.clock, { term: o.term, ...o.self });
    this.#assign = new SerialTask(
      async () => this.#assignNow(),
      (err) => o.onFault(err, 'assign'),
    );
    this.#ingest = new Ingest({
      sharedDir: o.conf.sharedDir,
      log: o.log,
      ids: o.ids,
      instanceId: o.self.instanceId,
      clock: o.clock,
      orphanMinAgeMs: o.conf.failureTimeoutMs,
      logger: o.logger.child({ component: 'ingest' }),
      append: async (events, conditions) => this.#append(events, conditions),
    });
    this.#watchers = new ChannelWatchers({
      sharedDir: o.conf.sharedDir,
      conf: o.conf,
      clock: o.clock,
      logger: o.logger.child({ component: 'watchers' }),
      onReady: async (plan, file) => this.#ingest.accept(plan, file),
      onFault: o.onFault,
    });
    this.#purge = new PurgeSchedule({
      sharedDir: o.conf.sharedDir,
      clock: o.clock,
      logger: o.logger.child({ component: 'purge' }),
      append: async (events) => this.#append(events, this.#fence()),
      onFault: o.onFault,
    });
  }

  get term(): number {
    return this.#o.term;
  }

  status(): RoleStatus {
    return this.#status;
  }

  /** The condition fencing coordinator-only events: this incarnation is coordinator of this term. */
  #fence(): Condition[] {
    return [{ kind: 'coordinator', ...this.#o.self, term: this.#o.term }];
  }

  /**
   * Appends under this term. A slow append (a busy append lock) is no reason to step down; an
   * append still queued when the role stops is withdrawn, never written later for the old term.
   */
  async #append(events: readonly DarkroomEvent[], conditions: readonly Condition[]): Promise<void> {
    if (this.#abort.signal.aborted) {
      throw new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', {
        reason: `the coordinator role of term ${this.#o.term} has ended`,
      });
    }
    await this.#o.log.append(events, { conditions, term: this.#o.term, signal: this.#abort.signal });
  }

  start(): void {
    this.#undo = this.#o.log.onApplied((records, state) => {
      if (this.#status !== 'running') return;
      this.#assign.kick();
      if (records.some((r) => r.type.startsWith('Channel') && !r.type.startsWith('ChannelStandby'))) {
        this.#watchers.reconcile(state);
      }
    });
    void this.#begin();
  }

  async #begin(): Promise<void> {
    try {
      await this.#lease.renew();
    } catch (err) {
      this.#o.onFault(err, 'lease');
    }
    if (this.#status !== 'starting') return;
    this.#status = 'running';
    this.#beat = setInterval(() => this.#onBeat(), this.#o.conf.heartbeatMs);
    // Lost instances are looked for every watchEveryMs, not only every beat (docs/cluster.md).
    const { heartbeatMs, failureTimeoutMs } = this.#o.conf;
    this.#lostTimer = setInterval(
      () => {
        if (this.#status === 'running') void this.#declareLost();
      },
      watchEveryMs(heartbeatMs, failureTimeoutMs),
    );
    this.#watchers.reconcile(this.#o.log.state);
    this.#assign.kick();
    this.#purge.reconcile(this.#o.log.state);
    await this.#scanOrphans();
    if (this.#status !== 'running') return;
    // Orphans younger than the failure timeout are left for the next scan (a take may be under way).
    const every = Math.max(this.#o.conf.failureTimeoutMs, this.#o.conf.hotfolderRescanMs);
    this.#orphanTimer = setInterval(() => void this.#scanOrphans(), every);
    if (this.#o.conf.packEveryMs > 0)
      this.#packTimer = setInterval(() => void this.#pack(), this.#o.conf.packEveryMs);
  }

  /** Packs complete batches into segments (DESIGN: "from time to time"); one pack at a time. */
  async #pack(): Promise<void> {
    if (this.#status !== 'running' || this.#packing !== undefined) return;
    // Damage in a batch is named (a fault `log pack`, E_LOG_CORRUPT) and left for the operator.
    this.#packing = packLog(this.#o.conf.sharedDir, {
      trailing: 'refuse',
      // A batch that looks cut is judged by a read this long after (a view may show it stale).
      cutSettleMs: 2 * logTimings({ lock: { staleMs: this.#o.conf.lockStaleMs } }).settleMs,
      signal: this.#abort.signal,
    })
      .then((r) => {
        if (r.segments.length > 0) this.#o.logger.info({ segments: r.segments }, 'log batches packed');
      })
      .catch((err: unknown) => this.#o.onFault(err, 'log pack'))
      .finally(() => (this.#packing = undefined));
    await this.#packing;
  }

  async #scanOrphans(): Promise<void> {
    if (this.#status !== 'running') return;
    try {
      await this.#ingest.recoverOrphans();
    } catch (err) {
      this.#o.onFault(err, 'orphan recovery');
    }
  }

  #onBeat(): void {
    if (this.#status !== 'running') return;
    const half = this.#o.conf.failureTimeoutMs / 2;
    // Only the lease decides: others elect only once it has been quiet for the whole timeout, so
    // stepping down at half of it leaves no moment with two coordinators acting.
    // A coordinator whose log reader cannot follow acts on a stale projection: it gives the lease up.
    const behind = this.#o.log.notFollowingMs();
    if (behind !== undefined) {
      this.#stepDown(`its log reader has not read the log for ${Math.round(behind)} ms`);
      return;
    }
    if (this.#lease.sinceRenewedMs() > half) {
      this.#stepDown(`the lease could not be renewed for ${Math.round(this.#lease.sinceRenewedMs())} ms`);
      return;
    }
    if (!this.#renewing) {
      this.#renewing = true;
      this.#lease
        .renew()
        .catch((err: unknown) => {
          if (isDarkroomError(err, 'E_LEASE_NEWER_TERM')) this.#stepDown(err.message);
          else this.#o.logger.warn({ err: String(err) }, 'lease renewal failed');
        })
        .finally(() => (this.#renewing = false));
    }
    this.#assign.kick();
    void this.#syncStandby();
    this.#purge.reconcile(this.#o.log.state);
  }

  #declaring = false;

  /** Appends InstanceLost for instances silent (or storage-stalled) for the failure timeout. */
  async #declareLost(): Promise<void> {
    const observe = this.#o.observations;
    if (observe === undefined || this.#declaring) return;
    const decision = decideLost(
      this.#o.log.state,
      { ...this.#o.self, term: this.#o.term },
      observe(),
      this.#o.clock.now(),
      { failureTimeoutMs: this.#o.conf.failureTimeoutMs },
    );
    if (decision.events.length === 0) return;
    this.#declaring = true;
    try {
      await this.#append(decision.events, decision.conditions);
      for (const e of decision.events) {
        this.#o.logger.warn(
          { lost: e.data.instanceId, inc: e.data.inc, reason: e.data.reason },
          `${e.data.instanceId} declared lost: ${e.data.reason}; its jobs are released`,
        );
      }
    } catch (err) {
      if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED') && !isDarkroomError(err, 'E_LOG_NOT_ACKNOWLEDGED'))
        this.#o.onFault(err, 'declare lost');
    } finally {
      this.#declaring = false;
    }
  }

  #stepDown(reason: string): void {
    if (this.#status !== 'running') return;
    this.#abort.abort();
    this.#o.onStepDown(reason);
  }

  async #assignNow(): Promise<void> {
    if (this.#status !== 'running') return;
    const decision = decideAssignments(
      this.#o.log.state,
      { ...this.#o.self, term: this.#o.term },
      { unavailable: this.#o.unavailable?.() ?? new Set() },
    );
    if (decision.events.length === 0) return;
    try {
      await this.#append(decision.events, decision.conditions);
    } catch (err) {
      // The state moved on between the decision and the write: the next batch re-decides.
      if (isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) {
        this.#o.logger.debug({ err: err.message }, 'assignment refused; re-deciding');
        this.#assign.kick();
        return;
      }
      if (this.#abort.signal.aborted) return;
      throw err;
    }
  }

  #syncingStandby = false;

  /**
   * Writes ChannelStandbyEntered/Left where a watcher's reachability and the projection differ.
   * One pass at a time, each decision read from the projection after the previous append was
   * applied: a pass started on the next beat while an append was still being written used to
   * append the same ChannelStandbyEntered (or Left) twice.
   */
  async #syncStandby(): Promise<void> {
    if (this.#syncingStandby) return;
    this.#syncingStandby = true;
    try {
      await this.#syncStandbyOnce();
    } finally {
      this.#syncingStandby = false;
    }
  }

  async #syncStandbyOnce(): Promise<void> {
    for (const [channel, problem] of this.#watchers.reachability()) {
      if (this.#status !== 'running') return;
      const view = this.#o.log.state.config.channels.get(channel);
      if (view === undefined) continue;
      let event: DarkroomEvent | undefined;
      if (problem !== undefined && view.standby === undefined) {
        event = { type: 'ChannelStandbyEntered', data: { channel, reason: problem } };
      } else if (problem === undefined && view.standby !== undefined) {
        event = { type: 'ChannelStandbyLeft', data: { channel } };
      }
      if (event === undefined) continue;
      try {
        await this.#append([event], this.#fence());
        this.#o.logger.info(
          { channel, standby: problem },
          problem ? 'channel on standby' : 'channel back from standby',
        );
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) this.#o.onFault(err, `standby ${channel}`);
      }
    }
  }

  /** Stops watching, assigning and renewing; idempotent. The lease is left to expire. */
  async stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#status = 'stopping';
    this.#abort.abort();
    clearInterval(this.#beat);
    clearInterval(this.#lostTimer);
    clearInterval(this.#orphanTimer);
    clearInterval(this.#packTimer);
    this.#undo?.();
    const steps: [string, () => Promise<void>][] = [
      ['watchers', async () => this.#watchers.stop()],
      ['purge', async () => this.#purge.stop()],
      ['assign', async () => this.#assign.close()],
      ['ingest', async () => this.#ingest.idle()],
      ['pack', async () => this.#packing],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.#o.onFault(err, `coordinator stop: ${name}`);
      }
    }
    this.#status = 'stopped';
  }
}
