// Test-only crash and pause points: when DARKROOM_CRASH_AT names a point, the process kills itself
// with SIGKILL exactly there; DARKROOM_PAUSE_AT stops it with SIGSTOP there (a test resumes it
// with SIGCONT). DARKROOM_CRASH_SKIP=N lets the point pass N times first (the fault harness arms
// a point late in an instance's life). Inert unless those variables are set (never in production).
// Tests check what a dead or paused process leaves behind (BullMQ-style fixtures).

/** Inside a batch write (src/events/batch-file.ts). */
export const batchCrashPoints = ['before-create', 'mid-write', 'before-fsync', 'after-fsync'] as const;
/**
 * In a job: between taking a hotfolder file into work/ and appending JobSubmitted
 * (src/instance/ingest.ts); between publishing the output and appending JobCompleted
 * (src/instance/process-job.ts).
 */
export const jobCrashPoints = ['after-take', 'after-publish'] as const;
/** Right before the append lock's holder moves a torn batch aside (src/events/tip-repair.ts). */
export const repairCrashPoints = ['before-repair'] as const;
export const crashPoints = [...batchCrashPoints, ...jobCrashPoints, ...repairCrashPoints] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** Times each point was passed in this process (for DARKROOM_CRASH_SKIP). */
const passed = new Map<CrashPoint, number>();

/** True when this process was asked to die or pause at `point` (read each time: fixtures arm it late). */
export function crashArmed(point: CrashPoint): boolean {
  return process.env['DARKROOM_CRASH_AT'] === point || process.env['DARKROOM_PAUSE_AT'] === point;
}

/** Dies (or stops, once) at `point` if armed and its skips are used up; does nothing otherwise. */
export function crashAt(point: CrashPoint): void {
  if (!crashArmed(point)) return;
  const n = (passed.get(point) ?? 0) + 1;
  passed.set(point, n);
  if (n <= Number(process.env['DARKROOM_CRASH_SKIP'] ?? 0)) return;
  if (process.env['DARKROOM_CRASH_AT'] === point) process.kill(process.pid, 'SIGKILL');
  if (process.env['DARKROOM_PAUSE_AT'] === point) {
    delete process.env['DARKROOM_PAUSE_AT'];
    process.kill(process.pid, 'SIGSTOP');
  }
}
