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
import { DarkroomError } from '../errors/darkroom-error.js';

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

/**
 * Writes the lease under a temp name and renames it over lease.json, unless the lease on the drive
 * already names a newer term (or another holder of this term): then E_LEASE_NEWER_TERM, and
 * nothing is written. Touches the shared drive. The check and the rename are two steps: a writer
 * paused between them can overwrite a newer term's lease once; readers ignore a lease whose term
 * is older than the log's, so that costs the newer coordinator one beat, never a failover.
 */
export async function writeLease(sharedDir: string, lease: Lease): Promise<void> {
  const dir = join(sharedDir, 'cluster');
  await mkdir(dir, { recursive: true });
  const current = await readLeaseFile(sharedDir);
  if (
    current.kind === 'lease' &&
    (current.lease.term > lease.term ||
      (current.lease.term === lease.term &&
        (current.lease.instanceId !== lease.instanceId || current.lease.inc !== lease.inc)))
  ) {
    throw new DarkroomError('E_LEASE_NEWER_TERM', {
      found: current.lease.term,
      holder: `${current.lease.instanceId} (inc ${current.lease.inc})`,
      term: lease.term,
    });
  }
  const tmp = join(dir, `.lease.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(lease)}\n`, { flag: 'wx' });
    await rename(tmp, leaseFile(sharedDir));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** One read of the lease file: its content, absent, or unreadable this time (torn, foreign, I/O error). */
export type LeaseRead =
  | { readonly kind: 'lease'; readonly lease: Lease }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly reason: string };

export async function readLeaseFile(sharedDir: string): Promise<LeaseRead> {
  let text: string;
  try {
    text = await readFile(leaseFile(sharedDir), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unreadable', reason: String(code ?? err) };
  }
  try {
    const v = JSON.parse(text) as Partial<Lease>;
    if (
      typeof v.term === 'number' &&
      typeof v.instanceId === 'string' &&
      typeof v.inc === 'number' &&
      typeof v.counter === 'number'
    ) {
      return {
        kind: 'lease',
        lease: { term: v.term, instanceId: v.instanceId, inc: v.inc, counter: v.counter },
      };
    }
  } catch {
    // A torn or foreign file counts as "no lease seen this time".
  }
  return { kind: 'unreadable', reason: 'not a lease' };
}

/** The current lease, or undefined when there is none or it cannot be read this time. */
export async function readLease(sharedDir: string): Promise<Lease | undefined> {
  const r = await readLeaseFile(sharedDir);
  return r.kind === 'lease' ? r.lease : undefined;
}

function leaseKey(l: Lease): string {
  return `${l.term}/${l.instanceId}/${l.inc}/${l.counter}`;
}

/**
 * Judges a lease by the reader's own monotonic clock: the lease is alive while its content
 * changed less than `failureTimeoutMs` ago. The first observation counts as a change, so a
 * freshly started reader gives the holder one full timeout before judging it dead. A read that
 * found nothing usable (absent, torn, an I/O error) changes nothing: one bad read is not silence,
 * only a lease that stayed the same for the whole timeout is.
 */
export class LeaseObserver {
  readonly #clock: Clock;
  #last: Lease | undefined;
  #lastKey = '';
  #changedAt: number | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  observe(read: LeaseRead | Lease | undefined): void {
    const lease =
      read === undefined
        ? undefined
        : 'kind' in read
          ? read.kind === 'lease'
            ? read.lease
            : undefined
          : read;
    if (lease === undefined) {
      this.#changedAt ??= this.#clock.now();
      return;
    }
    const key = leaseKey(lease);
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

  /** Writes the next counter value; on failure the previous renewal time stands (E_LEASE_NEWER_TERM: a newer term holds it). */
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
