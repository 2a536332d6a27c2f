// The append lock: proper-lockfile on the log folder, only to keep writers from colliding in the
// common case. Safety never depends on it (exclusive create decides every seq).
//
// Files touched: <shared>/log/append.lock (a folder; proper-lockfile refreshes its mtime).
// Atomic operation: mkdir of the lock folder (proper-lockfile); a lock whose mtime is older than
// `staleMs` is taken over.
// Invariant relying on it: none for safety; `onCompromised` never throws — the holder is told
// through `compromised` and aborts the batch in flight.
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { DarkroomError, isDriveFull } from '../errors/darkroom-error.js';

export interface LockTimings {
  /** A lock not refreshed for this long is stale and taken over (ms, at least 2000: proper-lockfile). */
  readonly staleMs?: number;
  /** How often the holder refreshes it (ms; proper-lockfile clamps to [1000, staleMs/2]). */
  readonly updateMs?: number;
}

export interface HeldLock {
  /** Set when the lock was lost while held (taken over as stale, or its folder removed). */
  readonly compromised: Error | undefined;
  release(): Promise<void>;
}

export const DEFAULT_STALE_MS = 2500;
export const DEFAULT_UPDATE_MS = 500;

export function lockPath(logDir: string): string {
  return join(logDir, 'append.lock');
}

/**
 * The acknowledgement fence. Safety never depends on the lock, but a batch written after it was
 * lost is not acknowledged (E_LOG_LOCK_COMPROMISED): lost, or held for more than 80 % of the stale
 * time (a pause may have let another writer take it over unnoticed so far).
 */
export function checkLockFence(lock: HeldLock, heldMs: number, staleMs: number, when: string): void {
  if (lock.compromised !== undefined || heldMs > staleMs * 0.8) {
    throw new DarkroomError('E_LOG_LOCK_COMPROMISED', {
      reason: `${lock.compromised?.message ?? `held ${Math.round(heldMs)} ms, near the stale time ${staleMs} ms`}, ${when}; catch up before retrying`,
    });
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock, retrying every few milliseconds while another writer holds it (a stale lock is
 * taken over by proper-lockfile). Gives up after `waitMs` with E_LOG_NOT_ACKNOWLEDGED.
 */
export async function acquireAppendLock(
  logDir: string,
  timings: LockTimings = {},
  waitMs = 30_000,
  now: () => number = () => performance.now(),
): Promise<HeldLock> {
  const stale = timings.staleMs ?? DEFAULT_STALE_MS;
  const update = timings.updateMs ?? DEFAULT_UPDATE_MS;
  const state: { compromised: Error | undefined } = { compromised: undefined };
  const deadline = now() + waitMs;
  let delay = 1;
  for (;;) {
    try {
      const release = await lockfile.lock(logDir, {
        stale,
        update,
        realpath: false,
        lockfilePath: lockPath(logDir),
        onCompromised: (err) => {
          state.compromised = err;
        },
      });
      return {
        get compromised() {
          return state.compromised;
        },
        release: async () => {
          if (state.compromised !== undefined) return;
          await release().catch(() => undefined);
        },
      };
    } catch (err) {
      if (isDriveFull(err)) {
        throw new DarkroomError(
          'E_DRIVE_FULL',
          { what: `the append lock ${lockPath(logDir)}`, reason: (err as Error).message },
          { cause: err },
        );
      }
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new DarkroomError(
          'E_LOG_UNREACHABLE',
          { dir: logDir, reason: `append lock: ${(err as Error).message}` },
          { cause: err },
        );
      }
      if (now() > deadline) {
        throw new DarkroomError('E_LOG_NOT_ACKNOWLEDGED', {
          reason: `the append lock stayed busy for ${waitMs} ms`,
        });
      }
      await pause(delay + Math.floor(Math.random() * delay));
      delay = Math.min(delay * 2, 4);
    }
  }
}
