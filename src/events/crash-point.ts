// Test-only crash and pause points: when DARKROOM_CRASH_AT names a point, the writer kills itself
// with SIGKILL exactly there; DARKROOM_PAUSE_AT stops it with SIGSTOP there (a test resumes it
// with SIGCONT). Tests check what a dead or paused writer leaves behind (BullMQ-style fixtures).

export const crashPoints = ['before-create', 'mid-write', 'before-fsync', 'after-fsync'] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** True when this process was asked to die or pause at `point` (read each time: fixtures arm it late). */
export function crashArmed(point: CrashPoint): boolean {
  return process.env['DARKROOM_CRASH_AT'] === point || process.env['DARKROOM_PAUSE_AT'] === point;
}

/** Dies (or stops, once) at `point` if armed; does nothing otherwise. */
export function crashAt(point: CrashPoint): void {
  if (process.env['DARKROOM_CRASH_AT'] === point) process.kill(process.pid, 'SIGKILL');
  if (process.env['DARKROOM_PAUSE_AT'] === point) {
    delete process.env['DARKROOM_PAUSE_AT'];
    process.kill(process.pid, 'SIGSTOP');
  }
}
