// A deterministic simulation of a darkroom cluster: nodes that run the real pure deciders
// (decideElection, decideAssignments, coordinatorGap, LeaseObserver) over a fake clock, a mesh
// whose heartbeats can be reordered, dropped or cut, a drive that can stall per node, and the
// shell logic of instance.ts / election-watch.ts / coordinator-role.ts / worker-role.ts mirrored
// step by step. Every step is one scheduler choice, so a seed replays exactly.
import type { Clock } from '../../src/clock.js';
import { AHEAD_PER_SLOT, decideAssignments } from '../../src/cluster/decide-assignments.js';
import { decideElection } from '../../src/cluster/decide-election.js';
import { decideLost, judgeInstance, type Observation } from '../../src/cluster/decide-lost.js';
import { LeaseObserver, type Lease } from '../../src/cluster/lease.js';
import type { Condition } from '../../src/events/conditions.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { coordinatorGap } from '../../src/instance/election-watch.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { LogInvariants } from '../support/log-invariants.js';
import { SimLog, type AppendResult } from './sim-log.js';

export const HEARTBEAT_MS = 200;
export const FAILURE_TIMEOUT_MS = 1500;
const WORK_MS = 300;
const SLOTS = 2;

export type Step =
  | { readonly k: 'tick'; readonly n: number; readonly dt: number }
  /** A timer fires, the node decides, and it is paused before its appends reach the drive. */
  | { readonly k: 'freeze'; readonly n: number }
  | { readonly k: 'deliver'; readonly i: number }
  | { readonly k: 'drop'; readonly i: number }
  | { readonly k: 'read'; readonly n: number; readonly part: number }
  | { readonly k: 'flush'; readonly n: number }
  | { readonly k: 'pause'; readonly n: number }
  | { readonly k: 'resume'; readonly n: number }
  | { readonly k: 'crash'; readonly n: number; readonly torn: boolean }
  | { readonly k: 'restart'; readonly n: number }
  | { readonly k: 'stop'; readonly n: number }
  | { readonly k: 'cut'; readonly a: number; readonly b: number }
  | { readonly k: 'mend' }
  | { readonly k: 'stall'; readonly n: number }
  | { readonly k: 'unstall'; readonly n: number }
  | { readonly k: 'submit' };

type OpKind =
  'start' | 'elect' | 'assign' | 'lost' | 'jobStarted' | 'outcome' | 'release' | 'stopping' | 'stopped';

interface PendingOp {
  readonly kind: OpKind;
  readonly events: readonly DarkroomEvent[];
  readonly conditions: readonly Condition[];
  readonly term?: number;
  readonly decidedAt: number;
  /** Set for ops the coordinator role makes (its pending appends count toward stepping down). */
  readonly role?: number;
  readonly jobId?: string;
  readonly attempt?: number;
}

interface Message {
  readonly from: number;
  readonly to: number;
  readonly inc: number;
}

interface Role {
  readonly term: number;
  renewedAt: number;
  counter: number;
}

class Node {
  readonly id: string;
  status: 'down' | 'up' | 'stopping' = 'down';
  paused = false;
  stalled = false;
  inc = 0;
  viewSeq = 0;
  lease: LeaseObserver;
  heard = new Map<string, { inc: number; at: number }>();
  /** When this node first knew each incarnation, and when it last saw each alive file change. */
  seen = new Map<string, { inc: number; at: number }>();
  aliveSeen = new Map<string, { inc: number; counter: number; at: number }>();
  role: Role | undefined;
  /** Since when this node has seen no live coordinator (election-watch.ts #gapSince). */
  gapSince: number | undefined;
  steppedDown = { term: 0, at: -Infinity };
  pending: PendingOp[] = [];
  /** Jobs this incarnation works on: jobId -> attempt and when the work is done. */
  running = new Map<string, { attempt: number; doneAt: number }>();

  constructor(
    id: string,
    readonly clock: Clock,
  ) {
    this.id = id;
    this.lease = new LeaseObserver(clock);
  }

  get up(): boolean {
    return this.status !== 'down';
  }

  /** Can act: up, not paused. */
  get awake(): boolean {
    return this.up && !this.paused;
  }

  has(kind: OpKind, jobId?: string): boolean {
    return this.pending.some((p) => p.kind === kind && (jobId === undefined || p.jobId === jobId));
  }
}

export interface SimOptions {
  readonly nodes: number;
  readonly jobs: number;
}

export interface SimSummary {
  readonly steps: number;
  readonly records: number;
  readonly violations: readonly string[];
  readonly counts: LogInvariants['counts'] & { duplicateWork: number; refused: number };
}

export class SimCluster {
  readonly log = new SimLog();
  readonly checker = new LogInvariants();
  readonly nodes: Node[] = [];
  now = 0;
  sharedLease: Lease | undefined;
  /** The alive files on the drive: each instance's incarnation and a counter it bumps every beat. */
  readonly alive = new Map<string, { inc: number; counter: number }>();
  messages: Message[] = [];
  readonly cut = new Set<string>();
  #jobs = 0;
  #steps = 0;
  /** jobId -> how many attempts did the work (at least once; more is counted, not wrong). */
  readonly worked = new Map<string, number>();
  /** Appends refused by their conditions, by kind (zombie and stale decisions end here). */
  readonly refused = new Map<string, number>();

  constructor(readonly o: SimOptions) {
    const clock: Clock = { now: () => this.now, wallTime: () => new Date(this.now) };
    this.log.append(
      { by: 'cli:sim', inc: 0 },
      [{ type: 'ChannelCreated', data: { channel: 'news', settings: {} } }],
      [],
      undefined,
      0,
    );
    for (let i = 0; i < o.nodes; i++) this.nodes.push(new Node(`n${i}`, clock));
    // Started one after another, as an operator would: n0 first, so n0 is the first coordinator.
    for (const node of this.nodes) this.#start(node);
    this.#check();
  }

  get view(): (node: Node) => ProjectionState {
    return (node) => this.log.states[node.viewSeq]!;
  }

  summary(): SimSummary {
    let duplicateWork = 0;
    for (const n of this.worked.values()) duplicateWork += Math.max(0, n - 1);
    return {
      steps: this.#steps,
      records: this.log.seq,
      violations: this.checker.violations,
      counts: {
        ...this.checker.counts,
        duplicateWork,
        refused: [...this.refused.values()].reduce((a, b) => a + b, 0),
      },
    };
  }

  /** One scheduler choice; invariants checked after it. */
  step(s: Step): void {
    this.#steps++;
    const node = 'n' in s ? this.#node(s.n) : undefined;
    switch (s.k) {
      case 'tick':
        this.now += s.dt;
        if (node!.awake) this.#tick(node!);
        break;
      case 'freeze':
        if (node!.awake) this.#tick(node!);
        node!.paused = true;
        break;
      case 'deliver':
      case 'drop': {
        if (this.messages.length === 0) break;
        const i = s.i % this.messages.length;
        const m = this.messages[i]!;
        const to = this.nodes[m.to]!;
        // A paused peer's socket buffers what is sent to it: it arrives when the peer resumes.
        if (s.k === 'deliver' && to.up && to.paused) break;
        this.messages.splice(i, 1);
        if (s.k === 'deliver') this.#deliver(m);
        break;
      }
      case 'read':
        if (node!.awake && !node!.stalled)
          node!.viewSeq = Math.max(node!.viewSeq, Math.ceil(this.log.seq * s.part));
        break;
      case 'flush':
        this.#flush(node!);
        break;
      case 'pause':
        node!.paused = true;
        break;
      case 'resume':
        node!.paused = false;
        break;
      case 'crash':
        if (!node!.up) break;
        // A torn crash: the first pending append reached the drive, but was never acknowledged.
        if (s.torn && node!.pending.length > 0) this.#write(node!, node!.pending[0]!);
        this.#down(node!);
        break;
      case 'restart':
        if (!node!.up) this.#start(node!);
        break;
      case 'stop':
        if (node!.status === 'up' && node!.awake) this.#stop(node!);
        break;
      case 'cut': {
        const a = this.nodes.indexOf(this.#node(s.a));
        const b = this.nodes.indexOf(this.#node(s.b));
        if (a !== b) this.cut.add(`${a}>${b}`);
        break;
      }
      case 'mend':
        this.cut.clear();
        break;
      case 'stall':
        node!.stalled = true;
        break;
      case 'unstall':
        node!.stalled = false;
        break;
      case 'submit':
        this.#submit();
        break;
    }
    this.#check();
  }

  /** Node `n` (modulo the count), or for -1 the node the log names coordinator (else n0). */
  #node(n: number): Node {
    if (n >= 0) return this.nodes[n % this.nodes.length]!;
    const c = this.log.tip.cluster.coordinator;
    return this.nodes.find((x) => x.id === c?.instanceId) ?? this.nodes[0]!;
  }

  /**
   * Heals every fault (partitions mended, drives unstalled, nodes resumed, crashed ones restarted)
   * and runs fair rounds until the cluster is quiet: one coordinator acting for the current term
   * and every job final. Returns why it did not get there within `rounds`, or undefined.
   */
  heal(rounds: number, keepDown: ReadonlySet<number> = new Set()): string | undefined {
    this.cut.clear();
    for (const node of this.nodes) {
      node.paused = false;
      node.stalled = false;
    }
    // Nodes in keepDown that are down stay down: failure detection must release their work.
    const gone = new Set(this.nodes.filter((n, i) => keepDown.has(i) && !n.up && i !== 0));
    for (const node of this.nodes) if (!node.up && !gone.has(node)) this.#start(node);
    this.#check();
    for (let r = 0; r < rounds; r++) {
      this.now += HEARTBEAT_MS;
      for (const m of this.messages.splice(0)) this.#deliver(m);
      for (const node of this.nodes) {
        if (!node.up) continue;
        node.viewSeq = this.log.seq;
        this.#tick(node);
        while (node.pending.length > 0) this.#flush(node);
        if (node.status === 'down' && !gone.has(node)) this.#start(node);
      }
      this.#check();
      if (this.#quiet() === undefined) return undefined;
    }
    return this.#quiet();
  }

  /** Why the cluster is not quiet yet, or undefined. */
  #quiet(): string | undefined {
    const s = this.log.tip;
    const c = s.cluster.coordinator;
    if (c === undefined) return 'no coordinator elected';
    const node = this.nodes.find((n) => n.id === c.instanceId);
    if (node?.inc !== c.inc || node.status !== 'up')
      return `coordinator ${c.instanceId}/${c.inc} of term ${c.term} is not running`;
    if (node.role?.term !== c.term) return `coordinator ${c.instanceId} does not act for term ${c.term}`;
    const acting = this.nodes.filter((n) => n.role !== undefined && n.up);
    if (acting.length !== 1) return `${acting.length} nodes act as coordinator`;
    if (s.jobs.open.size > 0)
      return `${s.jobs.open.size} jobs not final: ${[...s.jobs.open]
        .slice(0, 3)
        .map((id) => {
          const j = s.jobs.all.get(id)!;
          return `${id} ${j.state}@${j.attempt} ${j.instanceId}/${j.inc}`;
        })
        .join(', ')}`;
    return undefined;
  }

  #check(): void {
    this.checker.follow(this.log);
    // Slots at the tip: no incarnation processes more jobs than its slots, nor holds more than
    // its slots plus those assigned ahead (decideAssignments' AHEAD_PER_SLOT).
    const tip = this.log.tip;
    const held = new Map<string, { held: number; processing: number }>();
    for (const id of tip.jobs.open) {
      const j = tip.jobs.all.get(id)!;
      if (j.state !== 'assigned' && j.state !== 'processing') continue;
      const key = `${j.instanceId}/${j.inc}`;
      const n = held.get(key) ?? { held: 0, processing: 0 };
      n.held++;
      if (j.state === 'processing') n.processing++;
      held.set(key, n);
    }
    for (const [key, n] of held) {
      if (n.processing > SLOTS || n.held > SLOTS * (1 + AHEAD_PER_SLOT))
        this.checker.violations.push(
          `${key} holds ${n.held} jobs, ${n.processing} processing (slots ${SLOTS}, ${AHEAD_PER_SLOT} ahead per slot)`,
        );
    }
  }

  #start(node: Node): void {
    node.status = 'up';
    node.paused = false;
    node.pending = [];
    node.running.clear();
    node.role = undefined;
    node.heard.clear();
    node.seen.clear();
    node.aliveSeen.clear();
    node.gapSince = undefined;
    node.lease = new LeaseObserver(node.clock);
    const r = this.log.append(
      { by: node.id, inc: 0 },
      [
        {
          type: 'InstanceStarted',
          data: {
            instanceId: node.id,
            host: node.id,
            pid: 1,
            version: 'sim',
            slots: SLOTS,
            confHash: 'c',
            formatLevel: 1,
          },
        },
      ],
      [],
      undefined,
      this.now,
    );
    if (!r.ok) throw new Error('InstanceStarted refused');
    node.inc = r.records[0]!.seq;
    node.viewSeq = this.log.seq;
  }

  #down(node: Node): void {
    node.status = 'down';
    node.pending = [];
    node.running.clear();
    node.role = undefined;
  }

  #stop(node: Node): void {
    node.status = 'stopping';
    node.role = undefined;
    const me = { instanceId: node.id, inc: node.inc };
    this.#enqueue(node, {
      kind: 'stopping',
      events: [{ type: 'InstanceStopping', data: { ...me, reason: 'SIGTERM' } }],
      conditions: [],
    });
    for (const [jobId, run] of node.running) {
      this.#enqueue(node, {
        kind: 'release',
        jobId,
        attempt: run.attempt,
        events: [{ type: 'JobReleased', data: { jobId, attempt: run.attempt, reason: 'draining' } }],
        conditions: [{ kind: 'jobState', jobId, states: ['assigned', 'processing'], attempt: run.attempt }],
      });
    }
    node.running.clear();
    this.#enqueue(node, { kind: 'stopped', events: [{ type: 'InstanceStopped', data: me }], conditions: [] });
  }

  #submit(): void {
    const jobId = `j${++this.#jobs}`;
    if (this.#jobs > this.o.jobs) return;
    this.log.append(
      { by: 'cli:sim', inc: 0 },
      [
        {
          type: 'JobSubmitted',
          data: {
            jobId,
            channel: 'news',
            source: `in/${jobId}.jpg`,
            relPath: `${jobId}.jpg`,
            workDir: `work/${jobId}`,
            file: `${jobId}.jpg`,
            bytes: 1,
            submittedBy: 'cli:sim',
          },
        },
      ],
      [],
      undefined,
      this.now,
    );
  }

  #enqueue(node: Node, op: Omit<PendingOp, 'decidedAt'>): void {
    node.pending.push({ ...op, decidedAt: this.now });
  }

  #deliver(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`)) return;
    const to = this.nodes[m.to]!;
    if (!to.awake) return;
    to.heard.set(this.nodes[m.from]!.id, { inc: m.inc, at: this.now });
  }

  /** The node's oldest pending append reaches the drive (unless the drive is stalled for it). */
  #flush(node: Node): void {
    if (!node.awake || node.stalled) return;
    const op = node.pending.shift();
    if (op === undefined) return;
    const result = this.#write(node, op);
    // An append catches up first: afterwards the writer's view is the tip.
    node.viewSeq = this.log.seq;
    this.#acknowledged(node, op, result);
  }

  #write(node: Node, op: PendingOp): AppendResult {
    const result = this.log.append(
      { by: node.id, inc: node.inc },
      op.events,
      op.conditions,
      op.term,
      this.now,
    );
    if (!result.ok) this.refused.set(op.kind, (this.refused.get(op.kind) ?? 0) + 1);
    if (result.ok && op.conditions.length > 0)
      this.checker.acceptedWhole(this.log, result.records, `${node.id} ${op.kind}`);
    return result;
  }

  #acknowledged(node: Node, op: PendingOp, result: AppendResult): void {
    if (op.kind === 'jobStarted' && result.ok)
      node.running.set(op.jobId!, { attempt: op.attempt!, doneAt: this.now + WORK_MS });
    if (op.kind === 'stopped') this.#down(node);
  }

  /** One heartbeat of an awake node: beats out, lease read, election, role, worker. */
  /** What `node` knows of each incarnation in `view` (instance.ts liveness.observations). */
  #observations(node: Node, view: ProjectionState): Map<string, Observation> {
    const observations = new Map<string, Observation>();
    for (const v of view.cluster.instances.values()) {
      const h = node.heard.get(v.instanceId);
      const a = node.aliveSeen.get(v.instanceId);
      observations.set(v.instanceId, {
        inc: v.inc,
        firstSeenAt: node.seen.get(v.instanceId)?.at ?? this.now,
        ...(h?.inc === v.inc ? { heardAt: h.at } : {}),
        ...(a?.inc === v.inc ? { aliveChangedAt: a.at } : {}),
      });
    }
    return observations;
  }

  #tick(node: Node): void {
    this.nodes.forEach((_, to) => {
      if (this.nodes[to] !== node) this.messages.push({ from: this.nodes.indexOf(node), to, inc: node.inc });
    });
    if (node.status !== 'up') return;
    const self = { instanceId: node.id, inc: node.inc };
    if (!node.stalled) {
      node.lease.observe(this.sharedLease);
      const mine = this.alive.get(node.id);
      this.alive.set(node.id, { inc: node.inc, counter: mine?.inc === node.inc ? mine.counter + 1 : 1 });
      for (const [id, a] of this.alive) {
        const last = node.aliveSeen.get(id);
        if (last?.inc !== a.inc || last.counter !== a.counter) node.aliveSeen.set(id, { ...a, at: this.now });
      }
    }
    const view = this.view(node);
    // A zombie whose incarnation was declared lost (or ended) starts a new one and rejoins.
    const own = view.cluster.instances.get(node.id);
    if (own?.inc === node.inc && own.status !== 'started' && !node.stalled && node.pending.length === 0) {
      this.#start(node);
      return;
    }
    for (const v of view.cluster.instances.values()) {
      if (node.seen.get(v.instanceId)?.inc !== v.inc)
        node.seen.set(v.instanceId, { inc: v.inc, at: this.now });
    }

    // instance.ts #reconcileRole (runs as the log applies, so before the next election beat).
    const c = view.cluster.coordinator;
    const mine = c?.instanceId === node.id && c.inc === node.inc;
    if (node.role !== undefined && (!mine || node.role.term !== c.term)) node.role = undefined;
    const cooling = c?.term === node.steppedDown.term && this.now - node.steppedDown.at < FAILURE_TIMEOUT_MS;
    if (mine && node.role === undefined && !cooling) {
      node.role = { term: c.term, renewedAt: this.now, counter: 0 };
      this.checker.acting(c.term, node.id);
    }

    // election-watch.ts: propose this node when no coordinator is alive.
    if (!node.stalled && !node.has('elect')) {
      const gap = coordinatorGap(view, node.lease, {
        self,
        failureTimeoutMs: FAILURE_TIMEOUT_MS,
        actingCoordinator: () => node.role !== undefined,
        heardActing: (id, inc) => {
          const h = node.heard.get(id);
          return h !== undefined && h.inc === inc && this.now - h.at < FAILURE_TIMEOUT_MS;
        },
      });
      if (gap === undefined) node.gapSince = undefined;
      else {
        // As election-watch.ts: instances the failure detector judges silent or stalled are no
        // candidates, and the k-th candidate proposes once the gap has lasted k steps (a dead
        // first candidate that nobody declared lost must not block the election).
        node.gapSince ??= this.now;
        const silent = new Set<string>();
        for (const [id, obs] of this.#observations(node, view)) {
          const j = judgeInstance(obs, this.now, { failureTimeoutMs: FAILURE_TIMEOUT_MS });
          if (j === 'silent' || j === 'stalled') silent.add(id);
        }
        const d = decideElection(view, self, {
          silent,
          coordinatorGone: true,
          gapForMs: this.now - node.gapSince,
          stepMs: Math.max(2 * HEARTBEAT_MS, FAILURE_TIMEOUT_MS / 4),
        });
        if (d.events.length > 0)
          this.#enqueue(node, { kind: 'elect', events: d.events, conditions: d.conditions });
      }
    }

    // coordinator-role.ts #onBeat: step down when the lease or an append is stuck for half the timeout.
    const role = node.role;
    if (role !== undefined) {
      const half = FAILURE_TIMEOUT_MS / 2;
      const stuck = node.pending.some((p) => p.role === role.term && this.now - p.decidedAt > half);
      if (this.now - role.renewedAt > half || stuck) {
        node.steppedDown = { term: role.term, at: this.now };
        node.role = undefined;
      } else {
        if (!node.stalled) {
          role.counter++;
          role.renewedAt = this.now;
          this.sharedLease = { term: role.term, instanceId: node.id, inc: node.inc, counter: role.counter };
        }
        if (!node.has('lost')) {
          const d = decideLost(view, { ...self, term: role.term }, this.#observations(node, view), this.now, {
            failureTimeoutMs: FAILURE_TIMEOUT_MS,
          });
          if (d.events.length > 0)
            this.#enqueue(node, {
              kind: 'lost',
              events: d.events,
              conditions: d.conditions,
              term: role.term,
              role: role.term,
            });
        }
        if (!node.has('assign')) {
          const d = decideAssignments(view, { ...self, term: role.term });
          if (d.events.length > 0)
            this.#enqueue(node, {
              kind: 'assign',
              events: d.events,
              conditions: d.conditions,
              term: role.term,
              role: role.term,
            });
        }
      }
    }

    // worker-role.ts: start assigned jobs in free slots (a JobStarted still being appended holds
    // its slot; jobs assigned ahead wait), finish running ones.
    let busy = node.running.size + node.pending.filter((p) => p.kind === 'jobStarted').length;
    for (const job of view.jobs.all.values()) {
      if (job.state !== 'assigned' || job.instanceId !== node.id || job.inc !== node.inc) continue;
      if (node.running.has(job.jobId) || node.has('jobStarted', job.jobId) || busy >= SLOTS) continue;
      busy++;
      this.#enqueue(node, {
        kind: 'jobStarted',
        jobId: job.jobId,
        attempt: job.attempt,
        events: [
          { type: 'JobStarted', data: { jobId: job.jobId, instanceId: node.id, attempt: job.attempt } },
        ],
        conditions: [{ kind: 'jobState', jobId: job.jobId, states: ['assigned'], attempt: job.attempt }],
      });
    }
    for (const [jobId, run] of node.running) {
      if (run.doneAt > this.now || node.has('outcome', jobId)) continue;
      node.running.delete(jobId);
      this.worked.set(jobId, (this.worked.get(jobId) ?? 0) + 1);
      this.#enqueue(node, {
        kind: 'outcome',
        jobId,
        attempt: run.attempt,
        events: [
          {
            type: 'JobCompleted',
            data: {
              jobId,
              attempt: run.attempt,
              outcome: 'processed',
              outputs: [`out/${jobId}.jpg`],
              timingsMs: {},
            },
          },
        ],
        conditions: [{ kind: 'jobState', jobId, states: ['processing'], attempt: run.attempt }],
      });
    }
  }
}

/** The records of the log, one line each, for a failure report. */
export function excerpt(records: readonly LogRecord[], last = 40): string {
  return records
    .slice(-last)
    .map((r) => `${r.seq} ${r.by}/${r.inc} t${r.term} ${r.type} ${JSON.stringify(r.data)}`)
    .join('\n');
}
