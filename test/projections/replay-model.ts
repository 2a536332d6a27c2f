// A small model of a darkroom cluster for property tests: from random steps it writes plausible
// logs (instances start, stop, crash and restart, elections race, channels change, jobs flow),
// including what zombies write late (stale terms, attempts and incarnations).
import fc from 'fast-check';
import { decideAssignments, type AssignmentDecision } from '../../src/cluster/decide-assignments.js';
import { decideElection } from '../../src/cluster/decide-election.js';
import { actingCoordinator } from '../../src/projections/cluster.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import { cli, Scenario, type Writer } from './scenario.js';

export const stepKinds = [
  'start',
  'stopping',
  'stopped',
  'lose',
  'elect',
  'raceElect',
  'zombieElect',
  'channelCreate',
  'channelUpdate',
  'channelPause',
  'channelResume',
  'channelDelete',
  'standby',
  ...Array<'submit'>(4).fill('submit'),
  ...Array<'assign'>(3).fill('assign'),
  'stashAssign',
  'staleAssign',
  ...Array<'work'>(8).fill('work'),
  'zombieWork',
  'zombieWork',
  'review',
  'retry',
  'cancel',
  'note',
  'retain',
  'resubmit',
] as const;
export type StepKind = (typeof stepKinds)[number];

export interface Step {
  readonly kind: StepKind;
  readonly n: number;
  readonly m: number;
  readonly flag: boolean;
}

export const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom(...stepKinds),
  n: fc.nat(1000),
  m: fc.nat(1000),
  flag: fc.boolean(),
});

const ids = ['a', 'b', 'c'];
const channels = ['x', 'y', 'z'];

function pick<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

/** Interprets steps into a log; remembers old writers so zombies can write late. */
export class ClusterModel {
  readonly s = new Scenario();
  #jobs = 0;
  /** Worker events a holder could write later, once its attempt is stale. */
  readonly #pastHolders: { writer: Writer; jobId: string; attempt: number }[] = [];
  readonly #pastCoordinators: { writer: Writer; term: number }[] = [];
  #stash: { writer: Writer; term: number; decision: AssignmentDecision } | undefined;
  /** Set once the acting coordinator wrote a decision without its conditions (slots may overfill). */
  unserialized = false;

  run(steps: readonly Step[]): Scenario {
    for (const step of steps) this.step(step);
    return this.s;
  }

  #live(statuses: readonly string[] = ['started']): Writer[] {
    return [...this.s.state.cluster.instances.values()]
      .filter((v) => statuses.includes(v.status))
      .map((v) => ({ by: v.instanceId, inc: v.inc }));
  }

  #coordinator(): Writer | undefined {
    const c = actingCoordinator(this.s.state.cluster);
    return c === undefined ? undefined : { by: c.instanceId, inc: c.inc };
  }

  /** A step whose precondition is missing becomes the step that would create it (plausible flows). */
  #fallback(kind: StepKind, n: number): StepKind {
    const state = this.s.state;
    const needsCoordinator = ['assign', 'stashAssign', 'lose', 'standby'];
    if (kind === 'start' || kind === 'note' || kind === 'channelCreate' || kind === 'retain') return kind;
    if (this.#live().length === 0) return 'start';
    if (needsCoordinator.includes(kind) && this.#coordinator() === undefined) return 'elect';
    if (kind === 'submit' && !state.config.channels.has(pick(channels, n)!)) return 'channelCreate';
    if (
      kind === 'work' &&
      ![...state.jobs.open].some((id) => ['assigned', 'processing'].includes(state.jobs.all.get(id)!.state))
    ) {
      return this.#coordinator() === undefined ? 'elect' : 'assign';
    }
    return kind;
  }

  step(raw: Step): void {
    const { n, m, flag } = raw;
    const kind = this.#fallback(raw.kind, n);
    const s = this.s;
    const state = s.state;
    switch (kind) {
      case 'start':
        s.start(pick(ids, n)!, 1 + (m % 3));
        return;
      case 'stopping': {
        const w = pick(this.#live(), n);
        if (w)
          s.write(w, { type: 'InstanceStopping', data: { instanceId: w.by, inc: w.inc, reason: 'SIGTERM' } });
        return;
      }
      case 'stopped': {
        const w = pick(this.#live(['started', 'stopping']), n);
        if (w) s.write(w, { type: 'InstanceStopped', data: { instanceId: w.by, inc: w.inc } });
        return;
      }
      case 'lose': {
        const c = this.#coordinator();
        const w = pick(
          this.#live(['started', 'stopping']).filter((x) => x.by !== c?.by),
          n,
        );
        if (c && w)
          s.write(c, { type: 'InstanceLost', data: { instanceId: w.by, inc: w.inc, reason: 'silent' } });
        return;
      }
      case 'elect':
      case 'raceElect': {
        // Each live instance judges some others silent; proposals are appended with their conditions.
        const live = this.#live();
        const silent = new Set(ids.filter((_, i) => ((n >> i) & 1) === 1));
        const proposals = live
          .map((w) => ({ w, d: decideElection(state, { instanceId: w.by, inc: w.inc }, { silent }) }))
          .filter((p) => p.d.events.length > 0);
        if (kind === 'elect') proposals.splice(1);
        const old = this.#coordinator();
        for (const { w, d } of proposals) {
          if (s.append(w, d.events, d.conditions) === undefined && old) {
            this.#pastCoordinators.push({ writer: old, term: state.cluster.term });
          }
        }
        return;
      }
      case 'zombieElect': {
        const z = pick(this.#pastCoordinators, n);
        if (z) {
          s.write(
            z.writer,
            {
              type: 'CoordinatorElected',
              data: { instanceId: z.writer.by, inc: z.writer.inc, term: z.term + 1 },
            },
            z.term,
          );
        }
        return;
      }
      case 'channelCreate':
        s.channel(pick(channels, n)!, { priority: flag ? m % 101 : 50 });
        return;
      case 'channelUpdate': {
        const ch = state.config.channels.get(pick(channels, n)!);
        if (!ch) return;
        const revision = flag ? ch.revision : Math.max(0, ch.revision - 1 - (m % 2));
        s.write(cli, {
          type: 'ChannelUpdated',
          data: { channel: ch.name, revision, settings: { priority: m % 101 }, changed: ['priority'] },
        });
        return;
      }
      case 'channelPause':
        s.write(cli, { type: 'ChannelPaused', data: { channel: pick(channels, n)!, reason: 'maintenance' } });
        return;
      case 'channelResume':
        s.write(cli, { type: 'ChannelResumed', data: { channel: pick(channels, n)! } });
        return;
      case 'channelDelete': {
        const ch = state.config.channels.get(pick(channels, n)!);
        if (ch)
          s.write(cli, {
            type: 'ChannelDeleted',
            data: { channel: ch.name, revision: flag ? ch.revision : ch.revision + 1 },
          });
        return;
      }
      case 'standby': {
        const c = this.#coordinator() ?? pick(this.#live(), m);
        const channel = pick(channels, n)!;
        if (!c) return;
        const e: DarkroomEvent = flag
          ? { type: 'ChannelStandbyEntered', data: { channel, reason: 'ENOENT' } }
          : { type: 'ChannelStandbyLeft', data: { channel } };
        s.write(c, e);
        return;
      }
      case 'submit':
        s.submit(`j${++this.#jobs}`, pick(channels, n)!, pick(this.#live(), m) ?? cli);
        return;
      case 'assign':
      case 'stashAssign': {
        const c = this.#coordinator();
        if (!c) return;
        const d = decideAssignments(state, { instanceId: c.by, inc: c.inc, term: state.cluster.term });
        if (kind === 'stashAssign') this.#stash = { writer: c, term: state.cluster.term, decision: d };
        else s.append(c, d.events, d.conditions);
        return;
      }
      case 'staleAssign': {
        // A decision written late without re-checking its conditions: by a deposed coordinator
        // (a zombie), or by the acting one (a shell that failed to serialize its decisions; only
        // then may slots overfill, but a job must still never be held twice).
        const z = this.#stash;
        this.#stash = undefined;
        if (!z) return;
        const c = this.#coordinator();
        if (c?.by === z.writer.by && c.inc === z.writer.inc && state.cluster.term === z.term)
          this.unserialized = true;
        for (const e of z.decision.events) s.write(z.writer, e, z.term);
        return;
      }
      case 'work': {
        const held = [...state.jobs.open]
          .map((id) => state.jobs.all.get(id)!)
          .filter((j) => j.state === 'assigned' || j.state === 'processing');
        const job = pick(held, n);
        if (!job) return;
        const w = { by: job.instanceId!, inc: job.inc! };
        if (job.state === 'assigned' && flag) {
          // The worker's pool (worker-role.ts): a job held ahead starts only in a free slot.
          const slots = state.cluster.instances.get(w.by)?.slots ?? 0;
          const busy = held.filter(
            (j) => j.state === 'processing' && j.instanceId === w.by && j.inc === w.inc,
          ).length;
          if (busy >= slots) return;
        }
        this.#pastHolders.push({ writer: w, jobId: job.jobId, attempt: job.attempt });
        if (job.state === 'assigned' && flag) s.started(w, job.jobId);
        else this.#outcome(w, job.jobId, job.attempt, m);
        return;
      }
      case 'zombieWork': {
        const z = pick(this.#pastHolders, n);
        if (z) this.#outcome(z.writer, z.jobId, z.attempt, m);
        return;
      }
      case 'review': {
        const job = pick(
          [...state.jobs.open].map((id) => state.jobs.all.get(id)!).filter((j) => j.state === 'review'),
          n,
        );
        if (!job) return;
        const r = m % 3;
        if (r === 0) s.write(cli, { type: 'JobApproved', data: { jobId: job.jobId, by: 'ann' } });
        else
          s.write(cli, {
            type: 'JobRejected',
            data: {
              jobId: job.jobId,
              by: 'ann',
              reason: 'no',
              ...(r === 2 ? { to: 'cancelled' as const } : {}),
            },
          });
        return;
      }
      case 'retry': {
        const failed = [...state.jobs.all.values()].filter((j) => j.state === 'failed');
        const job = pick(failed, n);
        if (job) s.write(cli, { type: 'JobRetried', data: { jobId: job.jobId, by: 'ann' } });
        return;
      }
      case 'cancel': {
        const id = pick([...state.jobs.open], n);
        if (id && flag)
          s.write(cli, { type: 'JobCancelled', data: { jobId: id, by: 'ann', reason: 'not needed' } });
        return;
      }
      case 'note':
        s.write(cli, { type: 'OperatorNote', data: { author: 'ann', text: `note ${n}` } });
        return;
      case 'retain':
        // Small retentions archive finished jobs early; now and then an invalid value (ignored).
        s.write(cli, {
          type: 'SettingChanged',
          data: { key: 'jobs.retainFinished', value: flag && m % 7 === 0 ? -1 : m % 4 },
        });
        return;
      case 'resubmit':
        // An orphaned work folder submitted again under its old id: ignored, archived or not.
        if (this.#jobs > 0)
          s.submit(`j${1 + (n % this.#jobs)}`, pick(channels, m)!, pick(this.#live(), m) ?? cli);
        return;
    }
  }

  #outcome(w: Writer, jobId: string, attempt: number, m: number): void {
    const s = this.s;
    switch (m % 5) {
      case 0:
      case 1:
        s.completed(w, jobId, attempt);
        return;
      case 2:
        s.failed(w, jobId, attempt);
        return;
      case 3:
        s.write(w, { type: 'JobReviewRequested', data: { jobId, attempt, verdict: { sharpness: m } } });
        return;
      default:
        s.released(w, jobId, attempt);
    }
  }
}
