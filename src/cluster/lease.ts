// The coordinator lease: a small file the coordinator rewrites every beat, and the observer
// other instances use to judge, by their own monotonic clock, whether it is still alive.
//
// Files touched: <shared>/cluster/lease.json (and a temp file beside it).
// Atomic operation: rename(temp, lease.json) — a reader sees the old lease or the new one,
// never a half-written file.
// Invariant relying on it: an election starts only when the lease has gone quiet (DESIGN.md
// Failure); the counter changing is what "alive" means, never a timestamp from another clock.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';

export interface Lease {
  readonly term: number;
  readonly instanceId: string;
  /** The coordinator's incarnation (seq of its InstanceStarted). */
  readonly inc: number;
  /** Grows by one every beat; a reader only compares it with what it saw before. */
  readonly counter: number;
}

export function leaseFile(sharedDir: string): string {
  return join(sharedDir, 'cluster', 'lease.json');
}

/** Writes the lease under a temp name and renames it over lease.json. Touches the shared drive. */
export async function writeLease(sharedDir: string, lease: Lease): Promise<void> {
  const dir = join(sharedDir, 'cluster');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.lease.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(lease)}\n`, { flag: 'wx' });
    await rename(tmp, leaseFile(sharedDir));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The current lease, or undefined when there is none or it cannot be parsed (a lease is a hint). */
export async function readLease(sharedDir: string): Promise<Lease | undefined> {
  let text: string;
  try {
    text = await readFile(leaseFile(sharedDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<Lease>;
    if (
      typeof v.term === 'number' &&
      typeof v.instanceId === 'string' &&
      typeof v.inc === 'number' &&
      typeof v.counter === 'number'
    ) {
      return { term: v.term, instanceId: v.instanceId, inc: v.inc, counter: v.counter };
    }
  } catch {
    // A torn or foreign file counts as "no lease seen this time".
  }
  return undefined;
}

function leaseKey(l: Lease): string {
  return `${l.term}/${l.instanceId}/${l.inc}/${l.counter}`;
}

/**
 * Judges a lease by the reader's own monotonic clock: the lease is alive while its content
 * changed less than `failureTimeoutMs` ago. The first observation counts as a change, so a
 * freshly started reader gives the holder one full timeout before judging it dead.
 */
export class LeaseObserver {
  readonly #clock: Clock;
  #last: Lease | undefined;
  #lastKey = '';
  #changedAt: number | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  observe(lease: Lease | undefined): void {
    const key = lease === undefined ? '' : leaseKey(lease);
    if (this.#changedAt === undefined || key !== this.#lastKey) {
      this.#changedAt = this.#clock.now();
      this.#lastKey = key;
      this.#last = lease;
    }
  }

  get lease(): Lease | undefined {
    return this.#last;
  }

  /** Milliseconds since the lease last changed (Infinity before the first observation). */
  quietMs(): number {
    return this.#changedAt === undefined ? Infinity : this.#clock.now() - this.#changedAt;
  }

  /** True while the observed lease names `holder` and changed within `failureTimeoutMs`. */
  holds(holder: { term: number; instanceId: string; inc: number }, failureTimeoutMs: number): boolean {
    const l = this.#last;
    if (l === undefined) return false;
    if (l.term !== holder.term || l.instanceId !== holder.instanceId || l.inc !== holder.inc) return false;
    return this.quietMs() < failureTimeoutMs;
  }
}

/**
 * The coordinator's side: renews the lease every beat and knows when it last succeeded, so a
 * coordinator that cannot renew within half the failure timeout steps down by itself.
 */
export class LeaseHolder {
  readonly #sharedDir: string;
  readonly #clock: Clock;
  readonly #holder: { term: number; instanceId: string; inc: number };
  #counter = 0;
  #renewedAt: number;

  constructor(sharedDir: string, clock: Clock, holder: { term: number; instanceId: string; inc: number }) {
    this.#sharedDir = sharedDir;
    this.#clock = clock;
    this.#holder = holder;
    this.#renewedAt = clock.now();
  }

  get term(): number {
    return this.#holder.term;
  }

  /** Writes the next counter value; on failure the previous renewal time stands. */
  async renew(): Promise<void> {
    const next = this.#counter + 1;
    await writeLease(this.#sharedDir, { ...this.#holder, counter: next });
    this.#counter = next;
    this.#renewedAt = this.#clock.now();
  }

  /** Milliseconds since the last successful renewal (or since the holder was created). */
  sinceRenewedMs(): number {
    return this.#clock.now() - this.#renewedAt;
  }
}
