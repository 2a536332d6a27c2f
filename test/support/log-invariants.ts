// Log invariants (DESIGN.md 3, 4; the replay rules' fences), shared by the simulation (test/sim)
// and the fault harness (test/faults): follows the log record by record with its own small model
// (terms, incarnations, job holders), independent of the replay rules, and reports every record
// that took effect although it breaks an invariant, plus any difference between that model and
// the projection the real reducers built.
import type { LogRecord } from '../../src/events/log-record.js';
import { applyRecord } from '../../src/projections/apply-record.js';
import { initialState } from '../../src/projections/initial-state.js';
import type { ProjectionState } from '../../src/projections/state.js';

/** A log with the projection after every seq (the simulation's, or a real log folded here). */
export interface CheckedLog {
  readonly seq: number;
  readonly records: readonly LogRecord[];
  readonly tip: ProjectionState;
  /** True when the record at `seq` took effect (the replay rules did not ignore it). */
  applied(seq: number): boolean;
}

/** A real log's records folded with the real reducers, as a CheckedLog. */
export function foldedLog(records: readonly LogRecord[]): CheckedLog {
  const applied: boolean[] = [];
  let state = initialState();
  for (const r of records) {
    const before = state.meta.ignored.get(r.type) ?? 0;
    state = applyRecord(state, r);
    applied.push((state.meta.ignored.get(r.type) ?? 0) === before);
  }
  return { seq: records.length, records, tip: state, applied: (seq) => applied[seq - 1] === true };
}

interface Holder {
  readonly instanceId: string;
  readonly inc: number;
  readonly attempt: number;
}

const coordinatorOnly = new Set([
  'InstanceLost',
  'JobAssigned',
  'ChannelStandbyEntered',
  'ChannelStandbyLeft',
]);

export class LogInvariants {
  readonly violations: string[] = [];
  #checked = 0;
  #term = 0;
  readonly #elected = new Map<number, { instanceId: string; inc: number }>();
  /** Instance id -> its latest incarnation and status. */
  readonly #instances = new Map<string, { inc: number; status: string }>();
  readonly #holders = new Map<string, Holder | undefined>();
  readonly #attempts = new Map<string, number>();
  readonly #outcomes = new Map<string, number>();
  /** Term -> the simulated node that acted as its coordinator. */
  readonly #actors = new Map<number, string>();
  /** Counts for the summary. */
  readonly counts = { elections: 0, assignments: 0, ignored: 0, lost: 0, outcomes: 0 };

  /** Checks every record appended since the last call, then the projection against the model. */
  follow(log: CheckedLog): void {
    while (this.#checked < log.seq) {
      this.#checked++;
      const r = log.records[this.#checked - 1]!;
      if (log.applied(r.seq)) this.#apply(r);
      else this.counts.ignored++;
    }
    this.#compare(log);
  }

  /** A node acts as coordinator of `term`: at most one node ever does per term. */
  acting(term: number, node: string): void {
    const other = this.#actors.get(term);
    if (other !== undefined && other !== node)
      this.#fail(`two coordinators act in term ${term}: ${other} and ${node}`);
    this.#actors.set(term, node);
  }

  /** An append whose conditions held must take effect whole: its decider's conditions were complete. */
  acceptedWhole(log: CheckedLog, records: readonly LogRecord[], what: string): void {
    for (const r of records) {
      if (!log.applied(r.seq))
        this.#fail(`${what}: seq ${r.seq} ${r.type} passed its conditions but was ignored`);
    }
  }

  #fail(message: string): void {
    this.violations.push(message);
  }

  #apply(r: LogRecord): void {
    const at = `seq ${r.seq} ${r.type} by ${r.by}/${r.inc} term ${r.term}`;
    if (coordinatorOnly.has(r.type)) {
      const c = this.#elected.get(this.#term);
      if (r.term !== this.#term)
        this.#fail(`${at}: stale-term coordinator event applied (term ${this.#term})`);
      if (c === undefined || c.instanceId !== r.by || c.inc !== r.inc)
        this.#fail(`${at}: applied, but the coordinator of term ${this.#term} is ${c?.instanceId}/${c?.inc}`);
    }
    switch (r.type) {
      case 'CoordinatorElected': {
        const { term, instanceId, inc } = r.data;
        if (term !== this.#term + 1) this.#fail(`${at}: term ${term} does not follow ${this.#term}`);
        if (this.#elected.has(term)) this.#fail(`${at}: a second coordinator for term ${term}`);
        const view = this.#instances.get(instanceId);
        if (view?.inc !== inc || view.status !== 'started')
          this.#fail(
            `${at}: elects ${instanceId}/${inc}, which is ${view === undefined ? 'unknown' : `${view.inc} ${view.status}`}`,
          );
        this.#elected.set(term, { instanceId, inc });
        this.#term = Math.max(this.#term, term);
        this.counts.elections++;
        return;
      }
      case 'InstanceStarted':
        this.#release((h) => h.instanceId === r.data.instanceId && h.inc !== r.seq);
        this.#instances.set(r.data.instanceId, { inc: r.seq, status: 'started' });
        return;
      case 'InstanceStopping':
      case 'InstanceStopped':
      case 'InstanceLost': {
        const { instanceId, inc } = r.data;
        const view = this.#instances.get(instanceId);
        if (view?.inc !== inc)
          this.#fail(`${at}: applied to ${instanceId}/${inc}, not its current incarnation`);
        const status =
          r.type === 'InstanceStopping' ? 'stopping' : r.type === 'InstanceStopped' ? 'stopped' : 'lost';
        this.#instances.set(instanceId, { inc, status });
        if (r.type !== 'InstanceStopping') this.#release((h) => h.instanceId === instanceId && h.inc === inc);
        if (r.type === 'InstanceLost') this.counts.lost++;
        return;
      }
      case 'JobSubmitted':
        this.#holders.set(r.data.jobId, undefined);
        this.#attempts.set(r.data.jobId, 0);
        return;
      case 'JobAssigned': {
        const { jobId, instanceId, inc, attempt } = r.data;
        const view = this.#instances.get(instanceId);
        if (view?.inc !== inc || view.status !== 'started')
          this.#fail(
            `${at}: assigns ${jobId} to ${instanceId}/${inc}, which is ${view === undefined ? 'unknown' : `${view.inc} ${view.status}`}`,
          );
        const holder = this.#holders.get(jobId);
        if (holder !== undefined)
          this.#fail(`${at}: double assignment of ${jobId} (held by ${holder.instanceId}/${holder.inc})`);
        if ((this.#outcomes.get(jobId) ?? 0) > 0)
          this.#fail(`${at}: assigns ${jobId}, which already has an outcome`);
        if (attempt !== (this.#attempts.get(jobId) ?? 0) + 1)
          this.#fail(`${at}: attempt ${attempt} out of order`);
        this.#holders.set(jobId, { instanceId, inc, attempt });
        this.#attempts.set(jobId, attempt);
        this.counts.assignments++;
        return;
      }
      case 'JobCancelled':
        this.#holders.set(r.data.jobId, undefined);
        return;
      case 'JobRetried':
        // A failed job run again (an operator's decision): it may get a new outcome.
        this.#outcomes.set(r.data.jobId, 0);
        return;
      case 'JobStarted':
      case 'JobCompleted':
      case 'JobFailed':
      case 'JobReviewRequested':
      case 'JobReleased': {
        const { jobId, attempt } = r.data;
        const h = this.#holders.get(jobId);
        if (h === undefined || h.instanceId !== r.by || h.inc !== r.inc || h.attempt !== attempt)
          this.#fail(
            `${at}: stale attempt/incarnation applied for ${jobId} attempt ${attempt} (holder ${h?.instanceId}/${h?.inc}/${h?.attempt})`,
          );
        if (r.type === 'JobCompleted' || r.type === 'JobFailed') {
          const n = (this.#outcomes.get(jobId) ?? 0) + 1;
          if (n > 1) this.#fail(`${at}: a second outcome for ${jobId}`);
          this.#outcomes.set(jobId, n);
          this.counts.outcomes++;
        }
        if (r.type !== 'JobStarted') this.#holders.set(jobId, undefined);
        return;
      }
      default:
        return;
    }
  }

  #release(match: (h: Holder) => boolean): void {
    for (const [jobId, h] of this.#holders)
      if (h !== undefined && match(h)) this.#holders.set(jobId, undefined);
  }

  /** The projection the real reducers built agrees with this model on terms, holders, outcomes. */
  #compare(log: CheckedLog): void {
    const s = log.tip;
    if (s.cluster.term !== this.#term) this.#fail(`projection term ${s.cluster.term}, model ${this.#term}`);
    for (const [jobId, h] of this.#holders) {
      const job = s.jobs.all.get(jobId);
      if (job === undefined) continue;
      const held = job.state === 'assigned' || job.state === 'processing';
      if (
        held !== (h !== undefined) ||
        (h !== undefined && (job.instanceId !== h.instanceId || job.inc !== h.inc))
      )
        this.#fail(
          `job ${jobId}: projection ${job.state} on ${job.instanceId}/${job.inc}, model ${h === undefined ? 'not held' : `${h.instanceId}/${h.inc}`}`,
        );
    }
  }
}
