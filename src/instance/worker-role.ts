// The worker role: after every applied batch, starts the jobs assigned to this incarnation in a
// bounded pool of slots, appends each outcome fenced by the job's state and attempt, and on
// drain finishes or releases what it holds. A slot that frees hands itself to the next job
// assigned ahead: the outcome and that job's JobStarted go in one durable batch.
import type { Clock } from '../clock.js';
import { drivePathsIn } from '../drive-path.js';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { EventLog } from '../events/event-log.js';
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import { deathsOf } from '../projections/jobs.js';
import type { JobView, ProjectionState } from '../projections/state.js';
import { SerialTask } from './serial-task.js';

/** What a running job may ask before an irreversible step (publish, moving the original). */
export interface AttemptGuard {
  /** Aborted when the instance gives the job up (drain timeout). */
  readonly signal: AbortSignal;
  /** Throws E_JOB_STATE when the attempt is no longer current; once passed, the job is never released. */
  check(): Promise<void>;
}

export type JobOutcome = Extract<
  DarkroomEvent,
  { type: 'JobCompleted' | 'JobFailed' | 'JobReviewRequested' }
>;

/** What a finished job asks the worker to append, and what to do once it is acknowledged. */
export interface JobResultPlan {
  readonly outcome: JobOutcome;
  /** Runs after the outcome is acknowledged (e.g. removing the work folder). */
  readonly after?: () => Promise<void>;
}

/** Processes one job (pipeline, publish, originals, bad folder) and says what to append. */
export type JobRunner = (job: JobView, state: ProjectionState, guard: AttemptGuard) => Promise<JobResultPlan>;

export interface WorkerRoleOptions {
  readonly log: EventLog<ProjectionState>;
  readonly self: { readonly instanceId: string; readonly inc: number };
  readonly slots: number;
  readonly runner: JobRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onFault: (err: unknown, where: string) => void;
  /** This instance's mount of the drive: fault reasons in the log name drive paths, not it. */
  readonly sharedDir?: string;
}

/**
 * The reason a `JobReleased` records for a fault: the error's message with every path inside the
 * drive written as its drive path (a message such as ENOENT's names files as this mount sees them,
 * and events must never carry one instance's mount path). Pure.
 */
export function faultReason(err: unknown, sharedDir: string | undefined): string {
  const text = `fault: ${err instanceof Error ? err.message : String(err)}`;
  return sharedDir === undefined ? text : drivePathsIn(sharedDir, text);
}

/** How a JobStarted append ended: written, refused (the attempt moved on), or a fault. */
type StartAck =
  | { readonly kind: 'started' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'fault'; readonly err: unknown };

const started: StartAck = Object.freeze({ kind: 'started' });
const refused: StartAck = Object.freeze({ kind: 'refused' });

interface Running {
  readonly job: JobView;
  readonly abort: AbortController;
  /** Set once the job passed its last check and began publishing: it is finished, never released. */
  readonly committed: { value: boolean };
  readonly done: Promise<void>;
}

export class WorkerRole {
  readonly #o: WorkerRoleOptions;
  readonly #running = new Map<string, Running>();
  readonly #scan: SerialTask;
  #draining = false;
  #undo: (() => void) | undefined;
  #completed = 0;
  #hurry: (() => void) | undefined;

  constructor(o: WorkerRoleOptions) {
    this.#o = o;
    this.#scan = new SerialTask(
      async () => this.#startAssigned(),
      (err) => o.onFault(err, 'worker scan'),
    );
  }

  start(): void {
    this.#undo = this.#o.log.onApplied(() => this.#scan.kick());
    this.#scan.kick();
  }

  status(): { running: number; slots: number; finished: number; draining: boolean } {
    return {
      running: this.#running.size,
      slots: this.#o.slots,
      finished: this.#completed,
      draining: this.#draining,
    };
  }

  #mine(job: JobView): boolean {
    return job.instanceId === this.#o.self.instanceId && job.inc === this.#o.self.inc;
  }

  /**
   * Starts this incarnation's assigned jobs in free slots. A suspect job (one of its attempts died
   * while processing: it may be what killed the instance) runs alone: it starts once nothing else
   * runs here, nothing starts beside it, and no new job starts while it waits — so a file that
   * crashes darkroom takes no innocent job with it twice (poison jobs, docs/operations.md).
   */
  async #startAssigned(): Promise<void> {
    if (this.#draining) return;
    if ([...this.#running.values()].some((r) => deathsOf(r.job) > 0)) return;
    const waiting = this.#waiting();
    const suspect = waiting.find((job) => deathsOf(job) > 0);
    if (suspect !== undefined) {
      if (this.#running.size === 0) this.#launch(suspect);
      return;
    }
    for (const job of waiting) {
      if (this.#running.size >= this.#o.slots) return;
      this.#launch(job);
    }
  }

  #launch(job: JobView, ack?: Promise<StartAck>): void {
    const abort = new AbortController();
    const committed = { value: false };
    const done = this.#work(job, abort, committed, ack ?? this.#appendStarted(job)).finally(() => {
      this.#running.delete(job.jobId);
      this.#completed++;
      this.#scan.kick();
    });
    this.#running.set(job.jobId, { job, abort, committed, done });
  }

  /** JobStarted for `job`'s attempt, fenced by the job still being assigned at that attempt. */
  #startedEvent(job: JobView): { event: DarkroomEvent; condition: Condition } {
    return {
      event: {
        type: 'JobStarted',
        data: { jobId: job.jobId, instanceId: this.#o.self.instanceId, attempt: job.attempt },
      },
      condition: { kind: 'jobState', jobId: job.jobId, states: ['assigned'], attempt: job.attempt },
    };
  }

  async #appendStarted(job: JobView): Promise<StartAck> {
    const { event, condition } = this.#startedEvent(job);
    try {
      await this.#o.log.append([event], { conditions: [condition] });
      return started;
    } catch (err) {
      return isDarkroomError(err, 'E_LOG_CONDITION_FAILED') ? refused : { kind: 'fault', err };
    }
  }

  async #work(
    job: JobView,
    abort: AbortController,
    committed: { value: boolean },
    ack: Promise<StartAck>,
  ): Promise<void> {
    const { log, logger } = this.#o;
    const jobLog = logger.child({ jobId: job.jobId, attempt: job.attempt });
    // Nothing of the job runs before its JobStarted is durable: an attempt that dies counts as a
    // death only once it is processing (poison jobs), so an input must never be decoded before.
    const start = await ack;
    if (start.kind === 'refused') return; // reassigned or released meanwhile
    if (start.kind === 'fault') {
      // Not acknowledged (a lost append lock, a stalled drive): JobStarted may or may not be in the
      // log. A fault, never a rejection nobody awaits (it ended the process once); the attempt is
      // released so the job runs again, and the release's own condition makes that safe either way.
      const err = start.err;
      this.#o.onFault(err, `job ${job.jobId} start`);
      await this.#release(job, faultReason(err, this.#o.sharedDir));
      return;
    }
    const guard: AttemptGuard = {
      signal: abort.signal,
      check: async () => {
        await log.catchUp();
        if (abort.signal.aborted) {
          throw new DarkroomError('E_JOB_STATE', {
            jobId: job.jobId,
            state: 'released',
            detail: 'this instance is stopping',
          });
        }
        const now = log.state.jobs.all.get(job.jobId);
        if (now?.state !== 'processing' || now.attempt !== job.attempt || !this.#mine(now)) {
          throw new DarkroomError('E_JOB_STATE', {
            jobId: job.jobId,
            state: now?.state ?? 'unknown',
            detail: `attempt ${job.attempt} is no longer current`,
          });
        }
        committed.value = true;
      },
    };
    let result: JobResultPlan;
    try {
      result = await this.#o.runner(job, log.state, guard);
    } catch (err) {
      if (isDarkroomError(err, 'E_JOB_STATE')) {
        jobLog.info({ err: err.message }, 'job attempt abandoned');
        return;
      }
      // A fault (drive, bug): release the attempt so it is retried; maxAttempts bounds the retries.
      this.#o.onFault(err, `job ${job.jobId}`);
      await this.#release(job, faultReason(err, this.#o.sharedDir));
      return;
    }
    try {
      await this.#appendOutcome(job, result.outcome);
      jobLog.debug({ outcome: result.outcome.type }, 'job finished');
    } catch (err) {
      if (isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) {
        jobLog.warn({ err: err.message }, 'outcome refused: the attempt is no longer current');
        return;
      }
      // Not written, or not known to be (a lost lock, a drive error, a bug): a fault, never a
      // rejection nobody awaits. The attempt is released so the job runs again; the release is
      // fenced by the attempt, so an outcome that did reach the log refuses it, and a rerun finds
      // what this attempt published through its work folder's markers (publish-output.ts).
      this.#o.onFault(err, `job ${job.jobId} outcome`);
      await this.#release(job, faultReason(err, this.#o.sharedDir));
      return;
    }
    try {
      await result.after?.();
    } catch (err) {
      this.#o.onFault(err, `job ${job.jobId} clean-up`);
    }
  }

  /**
   * Appends the outcome. When a job assigned ahead waits for this slot, it is launched now and
   * its JobStarted rides in the same batch (one durable append instead of two in a row); the
   * batch carries both conditions. Refused as a whole, nothing was written: each is appended on
   * its own and the log decides each. Not acknowledged: neither may be in the log; the next job's
   * attempt is released by its own work (a fault), and this one's error is thrown to #work,
   * which releases this attempt.
   */
  async #appendOutcome(job: JobView, outcome: JobOutcome): Promise<void> {
    const log = this.#o.log;
    const condition: Condition = {
      kind: 'jobState',
      jobId: job.jobId,
      states: ['processing'],
      attempt: job.attempt,
    };
    const next = this.#nextAhead(job);
    if (next === undefined) {
      await log.append([outcome], { conditions: [condition] });
      return;
    }
    let settle!: (ack: StartAck | Promise<StartAck>) => void;
    this.#launch(next, new Promise<StartAck>((resolve) => (settle = resolve)));
    const start = this.#startedEvent(next);
    try {
      await log.append([outcome, start.event], { conditions: [condition, start.condition] });
      settle(started);
    } catch (err) {
      if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) {
        settle({ kind: 'fault', err });
        throw err;
      }
      settle(this.#appendStarted(next));
      await log.append([outcome], { conditions: [condition] });
    }
  }

  /**
   * The job assigned ahead that takes `finishing`'s slot, if one may start now: not draining, no
   * suspect job running or waiting (those run alone, see #startAssigned), a slot free once
   * `finishing` leaves. Pure over the projection and the pool.
   */
  #nextAhead(finishing: JobView): JobView | undefined {
    if (this.#draining) return undefined;
    const others = [...this.#running.values()].filter((r) => r.job.jobId !== finishing.jobId);
    if (others.length >= this.#o.slots || others.some((r) => deathsOf(r.job) > 0)) return undefined;
    const waiting = this.#waiting();
    return waiting.some((job) => deathsOf(job) > 0) ? undefined : waiting[0];
  }

  /** This incarnation's assigned jobs that are not in the pool yet, in the projection's order. */
  #waiting(): JobView[] {
    const state = this.#o.log.state;
    const waiting: JobView[] = [];
    for (const id of state.jobs.open) {
      const job = state.jobs.all.get(id);
      if (job === undefined || job.state !== 'assigned' || !this.#mine(job) || this.#running.has(id))
        continue;
      waiting.push(job);
    }
    return waiting;
  }

  async #release(job: JobView, reason: string): Promise<void> {
    try {
      await this.#o.log.append(
        [{ type: 'JobReleased', data: { jobId: job.jobId, attempt: job.attempt, reason } }],
        {
          conditions: [
            { kind: 'jobState', jobId: job.jobId, states: ['assigned', 'processing'], attempt: job.attempt },
          ],
        },
      );
    } catch (err) {
      if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) this.#o.onFault(err, `release ${job.jobId}`);
    }
  }

  /**
   * Takes no new work; lets running jobs finish for up to `timeoutMs` (or until `hurry()`), then
   * aborts and releases those that have not begun publishing, waits for those that have, and
   * releases jobs assigned to this incarnation that never started.
   */
  /** Starts no further job (the first step of a stop); running ones go on. */
  stopTaking(): void {
    this.#draining = true;
  }

  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.#undo?.();
    await this.#scan.close();
    let timer: NodeJS.Timeout | undefined;
    const waits = [...this.#running.values()].map((r) => r.done);
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => {
        this.#hurry = resolve;
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const left = [...this.#running.values()];
    const abandon = left.filter((r) => !r.committed.value);
    for (const r of abandon) r.abort.abort();
    await Promise.all(abandon.map(async (r) => this.#release(r.job, 'instance stopping: drain timeout')));
    await Promise.all(left.map(async (r) => r.done));
    const state = this.#o.log.state;
    for (const id of state.jobs.open) {
      const job = state.jobs.all.get(id);
      if (job?.state === 'assigned' && this.#mine(job)) await this.#release(job, 'instance stopping');
    }
  }

  /**
   * Drops every job at once without releasing it (this incarnation was declared lost or replaced:
   * its attempts are no longer current and the log refuses their outcomes). Running jobs are
   * aborted before their next check, so they do not publish; resolves when they have ended.
   */
  async abandon(): Promise<void> {
    this.#draining = true;
    this.#undo?.();
    for (const r of this.#running.values()) r.abort.abort();
    this.#hurry?.();
    await this.#scan.close();
    await Promise.all([...this.#running.values()].map(async (r) => r.done));
  }

  /** Ends the drain's wait for running jobs at once (a second signal). */
  hurry(): void {
    this.#hurry?.();
  }
}
