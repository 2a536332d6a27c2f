// The coordinator role of one term: renews the lease every beat, watches the input folders of the
// active channels and submits ready files, recovers orphaned work, marks channels on standby,
// purges on schedule, packs log batches into segments now and then, and assigns submitted jobs
// after every applied batch. Every append it makes that only a coordinator may make is fenced
// by its term.
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import { decideAssignments } from '../cluster/decide-assignments.js';
import { LeaseHolder } from '../cluster/lease.js';
import type { Condition } from '../events/conditions.js';
import type { EventLog } from '../events/event-log.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { packLog } from '../events/segment-pack.js';
import { isDarkroomError } from '../errors/darkroom-error.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { ChannelWatchers } from './channel-watchers.js';
import { Ingest } from './ingest.js';
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
  /** Called once when the role gives itself up (lease or appends stalled for half the failure timeout). */
  readonly onStepDown: (reason: string) => void;
}

export type RoleStatus = 'starting' | 'running' | 'stopping' | 'stopped';

export class CoordinatorRole {
  readonly #o: CoordinatorRoleOptions;
  readonly #lease: LeaseHolder;
  readonly #assign: SerialTask;
  readonly #ingest: Ingest;
  readonly #watchers: ChannelWatchers;
  readonly #purge: PurgeSchedule;
  readonly #pending = new Set<number>();
  #status: RoleStatus = 'starting';
  #beat: NodeJS.Timeout | undefined;
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

  /** Appends under this term, timing it: an append pending for half the failure timeout steps down. */
  async #append(events: readonly DarkroomEvent[], conditions: readonly Condition[]): Promise<void> {
    const started = this.#o.clock.now();
    this.#pending.add(started);
    try {
      await this.#o.log.append(events, { conditions, term: this.#o.term });
    } finally {
      this.#pending.delete(started);
    }
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
    this.#watchers.reconcile(this.#o.log.state);
    this.#assign.kick();
    this.#purge.reconcile(this.#o.log.state);
    await this.#scanOrphans();
    // Orphans younger than the failure timeout are left for the next scan (a take may be under way).
    const every = Math.max(this.#o.conf.failureTimeoutMs, this.#o.conf.hotfolderRescanMs);
    this.#orphanTimer = setInterval(() => void this.#scanOrphans(), every);
    if (this.#o.conf.packEveryMs > 0)
      this.#packTimer = setInterval(() => void this.#pack(), this.#o.conf.packEveryMs);
  }

  /** Packs complete batches into segments (DESIGN: "from time to time"); one pack at a time. */
  async #pack(): Promise<void> {
    if (this.#status !== 'running' || this.#packing !== undefined) return;
    this.#packing = packLog(this.#o.conf.sharedDir)
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
    const now = this.#o.clock.now();
    if (this.#lease.sinceRenewedMs() > half) {
      this.#stepDown(`the lease could not be renewed for ${Math.round(this.#lease.sinceRenewedMs())} ms`);
      return;
    }
    for (const since of this.#pending) {
      if (now - since > half) {
        this.#stepDown(`an append has not been acknowledged for ${Math.round(now - since)} ms`);
        return;
      }
    }
    if (!this.#renewing) {
      this.#renewing = true;
      this.#lease
        .renew()
        .catch((err: unknown) => this.#o.logger.warn({ err: String(err) }, 'lease renewal failed'))
        .finally(() => (this.#renewing = false));
    }
    void this.#syncStandby();
    this.#purge.reconcile(this.#o.log.state);
  }

  #stepDown(reason: string): void {
    if (this.#status !== 'running') return;
    this.#o.onStepDown(reason);
  }

  async #assignNow(): Promise<void> {
    if (this.#status !== 'running') return;
    const decision = decideAssignments(this.#o.log.state, { ...this.#o.self, term: this.#o.term });
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
      throw err;
    }
  }

  /** Writes ChannelStandbyEntered/Left where a watcher's reachability and the projection differ. */
  async #syncStandby(): Promise<void> {
    const state = this.#o.log.state;
    for (const [channel, problem] of this.#watchers.reachability()) {
      const view = state.config.channels.get(channel);
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
    clearInterval(this.#beat);
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
