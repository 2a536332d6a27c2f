// Test-only hooks of job processing, inert unless their environment variable is set (never in a
// conf, never by default): crash fixtures for poison-job tests, and a no-op image step so that
// bench:cluster measures coordination rather than imaging.
//   DARKROOM_TEST_CRASH_ON=NAME   the instance kills itself (SIGKILL) when it begins processing a
//                                 job whose input file name is NAME
//   DARKROOM_TEST_NOOP_IMAGE=1    the image step is skipped: the input is published unchanged
import { basename } from 'node:path';

/** Kills this process with SIGKILL if DARKROOM_TEST_CRASH_ON names the job's input file. */
export function crashIfArmed(relPath: string): void {
  const name = process.env['DARKROOM_TEST_CRASH_ON'];
  if (name !== undefined && name !== '' && basename(relPath) === name) process.kill(process.pid, 'SIGKILL');
}

/** True when DARKROOM_TEST_NOOP_IMAGE=1: publish the input unchanged instead of running the pipeline. */
export function noopImageArmed(): boolean {
  return process.env['DARKROOM_TEST_NOOP_IMAGE'] === '1';
}
