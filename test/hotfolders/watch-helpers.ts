// Test helpers for the hotfolder tests: a hand-driven clock, waiting on a condition with a deadline.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function manualClock(start = 1_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    wallTime: () => new Date(),
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Resolves once `cond()` holds; fails with `what()` after the deadline. */
export async function waitFor(cond: () => boolean, what: () => string, deadlineMs = 8000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `darkroom-${prefix}-`));
}
