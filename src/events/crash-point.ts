// Test-only crash points: when DARKROOM_CRASH_AT names a point, the writer kills itself with
// SIGKILL exactly there, so tests can check what a dead writer leaves behind (BullMQ-style fixtures).

export const crashPoints = ['before-create', 'mid-write', 'before-fsync', 'after-fsync'] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** True when this process was asked to die at `point` (read each time: tests set it per process). */
export function crashArmed(point: CrashPoint): boolean {
  return process.env['DARKROOM_CRASH_AT'] === point;
}

/** Dies at `point` if armed; does nothing otherwise. */
export function crashAt(point: CrashPoint): void {
  if (crashArmed(point)) process.kill(process.pid, 'SIGKILL');
}
