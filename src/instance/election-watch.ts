// Watches whether a live coordinator exists and, when none does, proposes this instance through
// `decideElection` (the same CoordinatorElected path a cluster uses; the log's conditions decide).
// "Alive" without the peer mesh: the coordinator's incarnation is started in the projection and
// its lease file changed within failureTimeoutMs by this instance's own monotonic clock.
import type { Clock } from '../clock.js';
import { decideElection } from '../cluster/decide-election.js';
import { LeaseObserver, readLease } from '../cluster/lease.js';
import type { EventLog } from '../events/event-log.js';
import { isDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';

export interface ElectionWatchOptions {
  readonly log: EventLog<ProjectionState>;
  readonly sharedDir: string;
  readonly self: { readonly instanceId: string; readonly inc: number };
  readonly clock: Clock;
  readonly failureTimeoutMs: number;
  readonly logger: Logger;
  /** True while this instance's coordinator role is running (its own lease needs no reading). */
  readonly actingCoordinator: () => boolean;
  /** Extra liveness evidence (the peer mesh's heartbeats, when the cluster layer adds it). */
  readonly heardFrom?: (instanceId: string, inc: number) => boolean;
}

/** Why there is no live coordinator, or undefined when there is one. */
export function coordinatorGap(
  state: ProjectionState,
  lease: LeaseObserver,
  o: Pick<ElectionWatchOptions, 'self' | 'failureTimeoutMs' | 'actingCoordinator' | 'heardFrom'>,
): string | undefined {
  const c = state.cluster.coordinator;
  if (c === undefined) return 'no coordinator has been elected';
  const view = state.cluster.instances.get(c.instanceId);
  if (view === undefined || view.inc !== c.inc) return `${c.instanceId} (inc ${c.inc}) has restarted since`;
  if (view.status !== 'started') return `${c.instanceId} is ${view.status}`;
  if (c.instanceId === o.self.instanceId && c.inc === o.self.inc && o.actingCoordinator()) return undefined;
  if (lease.holds(c, o.failureTimeoutMs)) return undefined;
  if (o.heardFrom?.(c.instanceId, c.inc) === true) return undefined;
  return `the lease of ${c.instanceId} (term ${c.term}) has been quiet for ${Math.round(lease.quietMs())} ms`;
}

export class ElectionWatch {
  readonly #o: ElectionWatchOptions;
  readonly #lease: LeaseObserver;
  #busy = false;

  constructor(o: ElectionWatchOptions) {
    this.#o = o;
    this.#lease = new LeaseObserver(o.clock);
  }

  /** One beat: read the lease, judge the coordinator, propose this instance when there is none. */
  async beat(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#lease.observe(await readLease(this.#o.sharedDir));
      const state = this.#o.log.state;
      const gap = coordinatorGap(state, this.#lease, this.#o);
      if (gap === undefined) return;
      // The coordinator whose lease went quiet counts as silent; without the peer mesh nothing else
      // is known about other instances, so only the log's stopping/stopped/lost marks them dead.
      const c = state.cluster.coordinator;
      const silent = new Set<string>(
        c !== undefined && c.instanceId !== this.#o.self.instanceId ? [c.instanceId] : [],
      );
      const decision = decideElection(state, this.#o.self, { silent });
      if (decision === undefined || decision.events.length === 0) return;
      this.#o.logger.info({ gap, term: state.cluster.term }, 'no live coordinator: proposing this instance');
      try {
        await this.#o.log.append(decision.events, { conditions: decision.conditions });
      } catch (err) {
        // Another instance won the term, or the state moved on: the next beat re-judges.
        if (isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) {
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
