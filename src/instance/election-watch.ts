// Watches whether a live coordinator exists and, when none does, proposes this instance through
// `decideElection` (the log's term condition decides between rivals). The coordinator is alive
// while its lease changed within failureTimeoutMs, or its heartbeats (acting for that term) came
// within it — both by this instance's own monotonic clock. One unreadable lease read changes
// nothing. Instances the failure detector judges silent or stalled are no candidates.
import type { Clock } from '../clock.js';
import { decideElection } from '../cluster/decide-election.js';
import { LeaseObserver, readLeaseFile } from '../cluster/lease.js';
import type { EventLog } from '../events/event-log.js';
import { isDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';

export interface ElectionWatchOptions {
  readonly log: EventLog<ProjectionState>;
  readonly sharedDir: string;
  /** This instance (its incarnation may change when it rejoins). */
  readonly self: () => { readonly instanceId: string; readonly inc: number };
  readonly clock: Clock;
  readonly failureTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  /** True while this instance's coordinator role is running (its own lease needs no reading). */
  readonly actingCoordinator: () => boolean;
  /** True when a heartbeat of `instanceId` incarnation `inc`, acting as coordinator of `term`, came within the timeout. */
  readonly heardActing?: (instanceId: string, inc: number, term: number) => boolean;
  /** Instances the failure detector judges silent or storage-stalled (no candidates). */
  readonly unfit?: () => ReadonlySet<string>;
  /** False while this instance's own storage is stalled: it does not propose itself then. */
  readonly fit?: () => boolean;
}

/** Why there is no live coordinator, or undefined when there is one. */
export function coordinatorGap(
  state: ProjectionState,
  lease: LeaseObserver,
  o: Pick<ElectionWatchOptions, 'failureTimeoutMs' | 'actingCoordinator' | 'heardActing'> & {
    readonly self: { readonly instanceId: string; readonly inc: number };
  },
): string | undefined {
  const c = state.cluster.coordinator;
  if (c === undefined) return 'no coordinator has been elected';
  const view = state.cluster.instances.get(c.instanceId);
  if (view === undefined || view.inc !== c.inc) return `${c.instanceId} (inc ${c.inc}) has restarted since`;
  if (view.status !== 'started') return `${c.instanceId} is ${view.status}`;
  const isSelf = c.instanceId === o.self.instanceId && c.inc === o.self.inc;
  if (isSelf && o.actingCoordinator()) return undefined;
  if (lease.holds(c, o.failureTimeoutMs)) return undefined;
  if (!isSelf && o.heardActing?.(c.instanceId, c.inc, c.term) === true) return undefined;
  return `the lease of ${c.instanceId} (term ${c.term}) has been quiet for ${Math.round(lease.quietMs())} ms${
    isSelf ? ' and this instance no longer acts as its coordinator' : ' and no heartbeat says it acts'
  }`;
}

export class ElectionWatch {
  readonly #o: ElectionWatchOptions;
  readonly #lease: LeaseObserver;
  #busy = false;
  #gapSince: number | undefined;

  constructor(o: ElectionWatchOptions) {
    this.#o = o;
    this.#lease = new LeaseObserver(o.clock);
  }

  /** The lease as last observed (for status). */
  get lease(): LeaseObserver {
    return this.#lease;
  }

  /** One beat: read the lease, judge the coordinator, propose this instance when there is none. */
  async beat(signal?: AbortSignal): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#lease.observe(await readLeaseFile(this.#o.sharedDir));
      if (signal?.aborted === true) return;
      const state = this.#o.log.state;
      const self = this.#o.self();
      const gap = coordinatorGap(state, this.#lease, { ...this.#o, self });
      const now = this.#o.clock.now();
      if (gap === undefined) {
        this.#gapSince = undefined;
        return;
      }
      this.#gapSince ??= now;
      if (this.#o.fit?.() === false) return;
      const decision = decideElection(state, self, {
        silent: this.#o.unfit?.() ?? new Set(),
        coordinatorGone: true,
        gapForMs: now - this.#gapSince,
        stepMs: Math.max(2 * this.#o.heartbeatMs, this.#o.failureTimeoutMs / 4),
      });
      if (decision.events.length === 0) return;
      this.#o.logger.info({ gap, term: state.cluster.term }, 'no live coordinator: proposing this instance');
      try {
        await this.#o.log.append(decision.events, {
          conditions: decision.conditions,
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        // Another instance won the term, or the state moved on: the next beat re-judges.
        if (
          isDarkroomError(err, 'E_LOG_CONDITION_FAILED') ||
          isDarkroomError(err, 'E_LOG_NOT_ACKNOWLEDGED')
        ) {
          this.#o.logger.debug({ err: err.message }, 'election refused');
          return;
        }
        throw err;
      }
    } finally {
      this.#busy = false;
    }
  }
}
