// The bad folder: an input darkroom cannot process goes there with `NAME.error.txt` beside it
// (code, message, channel, time, instance), keeping its subfolder path.
//
// Files touched: the job's input in work/<jobId>/, `<bad>/<relDir>/<name>[-N]`, its
// `.error.txt`, and the marker work/<jobId>/.darkroom-bad.json (naming the bad file by its drive
// path, src/drive-path.ts; written whole: src/instance/work-marker.ts).
// Atomic operation: link(input, bad name) via moveExclusive — never replaces an earlier bad file;
// the error file is created with `wx`.
// Invariant relying on it: invariant 1 (one place per input) and 6 (a clear error report); a rerun
// after a crash finds the marker and does not move or report twice.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { moveExclusive, writeExclusive } from './exclusive-move.js';
import { writeMarker } from './work-marker.js';

export interface BadReport {
  readonly code: string;
  readonly message: string;
  readonly channel: string;
  readonly instanceId: string;
  readonly jobId: string;
  /** Wall-clock time, ISO 8601. */
  readonly time: string;
  /** What to do about it (the catalogue's fix line). */
  readonly fix?: string;
}

const MARKER = '.darkroom-bad.json';

/** The error file's text: one `key: value` per line, readable without darkroom. */
export function errorText(r: BadReport, file: string): string {
  return [
    `file: ${file}`,
    `code: ${r.code}`,
    `message: ${r.message}`,
    ...(r.fix !== undefined ? [`what to do: ${r.fix}`] : []),
    `channel: ${r.channel}`,
    `job: ${r.jobId}`,
    `time: ${r.time}`,
    `instance: ${r.instanceId}`,
    '',
  ].join('\n');
}

/**
 * Moves `input` (in the job's work folder) to the bad folder under `relPath`'s subfolder and writes
 * its error file. Returns the bad path (absolute, on this mount). A rerun returns the path recorded
 * by the first run, also when the first run was another instance with another mount.
 */
export async function moveToBad(
  sharedDir: string,
  workDir: string,
  input: string,
  badDir: string,
  relPath: string,
  report: BadReport,
): Promise<string> {
  try {
    const m = JSON.parse(await readFile(join(workDir, MARKER), 'utf8')) as { path?: unknown };
    if (typeof m.path === 'string') return fromDrivePath(sharedDir, m.path);
  } catch {
    // no earlier run
  }
  const rel = dirname(relPath);
  const dest = join(badDir, rel === '.' ? '' : rel);
  return moveExclusive(input, dest, basename(relPath), async (path) => {
    await writeExclusive(dest, `${basename(path)}.error.txt`, errorText(report, relPath));
    await writeMarker(join(workDir, MARKER), { path: toDrivePath(sharedDir, path) });
  });
}
