// The failure detector's shell: what this instance knows of every other one, by its own monotonic
// clock — heartbeats from the peer mesh, alive files changing on the drive — and its own storage
// health, measured by rewriting its alive file every heartbeat. The judgements themselves are the
// pure `judgeInstance`/`decideLost` (src/cluster/decide-lost.ts).
//
// The heartbeat path never waits for this: `storage()` and `observations()` read memory only; the
// drive work runs on its own timer, one write and one read pass at a time, so a hung drive call
// leaves one call hanging (not one per beat) and the heartbeats go on saying "storage stalled".
import { readAliveFiles, writeAliveFile, type AliveFile } from '../cluster/alive-file.js';
import { judgeInstance, type Judgement, type Observation } from '../cluster/decide-lost.js';
import type { Beat } from '../cluster/peer-messages.js';
import type { PeerView } from '../cluster/peer-mesh.js';
import type { Clock } from '../clock.js';
import { asDarkroomError, isDriveFull } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';
import type { InstanceView, ProjectionState } from '../projections/state.js';

/**
 * How often deadlines are checked and the drive-side signs of life (alive files, the lease) are
 * read: a quarter of a second with the default timings (heartbeatMs 1000, failureTimeoutMs 4000),
 * never more often than every 100 ms, never less often than every heartbeat. A sign of life is
 * dated when it is *seen*, never earlier (a silence is never overestimated); reading only every
 * heartbeat dated the last one up to a heartbeat late and checked the deadline up to a heartbeat
 * late, which put up to 2 s on top of failureTimeoutMs before a failover (docs/cluster.md).
 */
export function watchEveryMs(heartbeatMs: number, failureTimeoutMs: number): number {
  return Math.min(heartbeatMs, Math.max(100, Math.round(failureTimeoutMs / 16)));
}

export interface LivenessOptions {
  readonly sharedDir: string;
  readonly instanceId: string;
  readonly clock: Clock;
  readonly heartbeatMs: number;
  readonly failureTimeoutMs: number;
  readonly logger: Logger;
  /** This instance's heartbeat now (memory only). */
  readonly beat: () => Beat;
  /** This instance's incarnation (0 before InstanceStarted is acknowledged). */
  readonly inc: () => number;
  readonly peers: () => readonly PeerView[];
  /**
   * True while this instance acts as coordinator (it declares instances lost): then the alive
   * files are read every `watchEveryMs`, otherwise every heartbeat. Default: never.
   */
  readonly judging?: () => boolean;
}

export interface StorageHealth {
  /** Milliseconds since this instance's last drive operation (its alive file write) completed. */
  readonly lastOkAgeMs: number;
  readonly stalled: boolean;
}

interface Heard {
  readonly inc: number;
  readonly at: number;
  readonly beat: Beat;
}

interface Seen {
  readonly key: string;
  readonly inc: number;
  readonly changedAt: number;
}

/**
 * Whether a heartbeat speaks for the incarnation `view`: it names that incarnation, or it comes
 * from the very process that appended its InstanceStarted (same pid and host) before that process
 * learnt its new incarnation number — a starting instance beats with inc 0, a rejoining one with
 * its lost incarnation, until its append is acknowledged, which on a loaded drive can take longer
 * than the failure timeout (an instance was declared lost while it was still joining).
 */
function beatsFor(heard: Heard, view: InstanceView): boolean {
  if (heard.inc === view.inc) return true;
  return heard.inc < view.inc && heard.beat.pid === view.pid && heard.beat.host === view.host;
}

export class Liveness {
  readonly #o: LivenessOptions;
  readonly #heard = new Map<string, Heard>();
  readonly #seen = new Map<string, Seen>();
  readonly #firstSeen = new Map<string, number>();
  #lastOkAt: number;
  #counter = 0;
  #writing = false;
  #reading = false;
  #timer: NodeJS.Timeout | undefined;
  #readTimer: NodeJS.Timeout | undefined;
  #lastReadAt = -Infinity;
  #wasStalled = false;
  readonly #startedAt: number;

  constructor(o: LivenessOptions) {
    this.#o = o;
    this.#lastOkAt = o.clock.now();
    this.#startedAt = o.clock.now();
  }

  /** Above this age of the last completed drive operation, storage counts as stalled. */
  get stallMs(): number {
    return Math.max(3 * this.#o.heartbeatMs, this.#o.failureTimeoutMs / 2);
  }

  start(): void {
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), this.#o.heartbeatMs);
    const every = watchEveryMs(this.#o.heartbeatMs, this.#o.failureTimeoutMs);
    this.#readTimer = setInterval(() => {
      const due = this.#o.clock.now() - this.#lastReadAt >= this.#o.heartbeatMs - every / 2;
      if (due || this.#o.judging?.() === true) void this.#read();
    }, every);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#readTimer);
    this.#timer = undefined;
    this.#readTimer = undefined;
  }

  /** Writes the alive file once now (the first sign of life after InstanceStarted) and waits for it. */
  async writeNow(): Promise<void> {
    await this.#write();
  }

  storage(): StorageHealth {
    const lastOkAgeMs = Math.max(0, this.#o.clock.now() - this.#lastOkAt);
    return { lastOkAgeMs: Math.round(lastOkAgeMs), stalled: lastOkAgeMs > this.stallMs };
  }

  /** A heartbeat arrived from `peer` (peer mesh). */
  heard(peer: string, beat: Beat): void {
    this.#heard.set(peer, { inc: beat.inc, at: this.#o.clock.now(), beat });
  }

  /** The last heartbeat from `peer` and when it came, if any. */
  lastBeat(peer: string): { readonly at: number; readonly beat: Beat } | undefined {
    return this.#heard.get(peer);
  }

  /** What this instance knows of every started or stopping incarnation in `state` but itself. */
  observations(state: ProjectionState): Map<string, Observation> {
    const now = this.#o.clock.now();
    const out = new Map<string, Observation>();
    for (const view of state.cluster.instances.values()) {
      if (view.instanceId === this.#o.instanceId) continue;
      if (view.status !== 'started' && view.status !== 'stopping') continue;
      const key = `${view.instanceId}/${view.inc}`;
      let first = this.#firstSeen.get(key);
      if (first === undefined) {
        first = Math.max(now, this.#startedAt);
        this.#firstSeen.set(key, first);
      }
      const heard = this.#heard.get(view.instanceId);
      const seen = this.#seen.get(view.instanceId);
      const h = heard !== undefined && beatsFor(heard, view) ? heard : undefined;
      out.set(view.instanceId, {
        inc: view.inc,
        firstSeenAt: first,
        ...(h !== undefined
          ? {
              heardAt: h.at,
              stalled: h.beat.storage.stalled,
              storageOkAt: h.at - h.beat.storage.lastOkAgeMs,
            }
          : {}),
        ...(seen?.inc === view.inc ? { aliveChangedAt: seen.changedAt } : {}),
      });
    }
    return out;
  }

  /** The judgement of every other started or stopping incarnation in `state`. */
  judgements(state: ProjectionState): Map<string, Judgement> {
    const now = this.#o.clock.now();
    const out = new Map<string, Judgement>();
    for (const [id, obs] of this.observations(state)) {
      out.set(id, judgeInstance(obs, now, { failureTimeoutMs: this.#o.failureTimeoutMs }));
    }
    return out;
  }

  #tick(): void {
    void this.#write().then(
      () => (this.#lastWriteError = undefined),
      (err: unknown) => (this.#lastWriteError = err),
    );
    const s = this.storage();
    if (s.stalled !== this.#wasStalled) {
      this.#wasStalled = s.stalled;
      if (s.stalled && isDriveFull(this.#lastWriteError)) {
        // Not hung but refused: named, so the operator frees space rather than checks the mount.
        const e = asDarkroomError(this.#lastWriteError);
        this.#o.logger.warn(
          { code: e.code, lastOkAgeMs: s.lastOkAgeMs },
          `storage full: ${e.message}; still heartbeating, taking no new work until the drive takes writes again`,
        );
      } else if (s.stalled) {
        this.#o.logger.warn(
          { lastOkAgeMs: s.lastOkAgeMs },
          `storage stalled: no drive operation has completed for ${s.lastOkAgeMs} ms; still heartbeating, taking no new work`,
        );
      } else this.#o.logger.info({}, 'storage answers again');
    }
  }

  /** Why the last alive-file write failed (undefined after one that succeeded). */
  #lastWriteError: unknown;

  async #write(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      const content: AliveFile = {
        instanceId: this.#o.instanceId,
        inc: this.#o.inc(),
        counter: ++this.#counter,
        writtenAt: this.#o.clock.wallTime().toISOString(),
        beat: this.#o.beat(),
        peers: this.#o.peers().map((p) => ({
          name: p.name,
          connected: p.dialled || p.accepted,
          heardAgoMs: p.lastBeatAt === undefined ? null : Math.round(this.#o.clock.now() - p.lastBeatAt),
          ...(p.refused !== undefined ? { refused: p.refused } : {}),
        })),
      };
      await writeAliveFile(this.#o.sharedDir, content);
      this.#lastOkAt = this.#o.clock.now();
    } finally {
      this.#writing = false;
    }
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    this.#lastReadAt = this.#o.clock.now();
    try {
      const files = await readAliveFiles(this.#o.sharedDir);
      const now = this.#o.clock.now();
      for (const [id, f] of files) {
        if (id === this.#o.instanceId) continue;
        const key = `${f.inc}/${f.counter}`;
        const was = this.#seen.get(id);
        if (was === undefined || was.key !== key) this.#seen.set(id, { key, inc: f.inc, changedAt: now });
      }
    } catch {
      // An unreadable folder is no news: the judgement goes by what was seen before.
    } finally {
      this.#reading = false;
    }
  }
}
