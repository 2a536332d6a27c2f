// Creating a log and finding one: only `darkroom conf init` and `darkroom log init` create a
// log; everything else requires one, so a share that is not mounted (a missing or empty folder)
// is never taken for a new, empty cluster.
//
// Files touched: <shared>/log/ and <shared>/snapshots/ (created by initLog only).
// Atomic operation: mkdir. Invariant relying on it: a folder without log/ is not a darkroom
// drive; every reader and writer refuses it with E_LOG_UNREACHABLE.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../errors/darkroom-error.js';

function unreachable(sharedDir: string, reason: string, cause?: unknown): DarkroomError {
  return new DarkroomError('E_LOG_UNREACHABLE', { dir: sharedDir, reason }, { cause });
}

/**
 * Throws E_LOG_UNREACHABLE unless `<shared>/log/` is a folder: the drive is missing, empty (a
 * mount point with nothing mounted) or holds no darkroom log. Touches the shared drive.
 */
export async function requireLog(sharedDir: string): Promise<void> {
  const fix = `is the share mounted at ${sharedDir}? A new cluster's log is created only by \`darkroom conf init\` or \`darkroom log init --shared ${sharedDir}\``;
  try {
    const s = await stat(join(sharedDir, 'log'));
    if (s.isDirectory()) return;
    throw unreachable(sharedDir, `${join(sharedDir, 'log')} is not a folder; ${fix}`);
  } catch (err) {
    if (err instanceof DarkroomError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw unreachable(sharedDir, `${(err as Error).message}; ${fix}`, err);
    }
  }
  const entries = await readdir(sharedDir).catch(() => undefined);
  const what =
    entries === undefined
      ? 'the folder does not exist'
      : entries.length === 0
        ? 'the folder is empty'
        : 'the folder holds no darkroom log (no log/ in it)';
  throw unreachable(sharedDir, `${what}; ${fix}`);
}

/** Creates the log's folders (and the drive folder) if missing; returns whether a log was new. Idempotent. */
export async function initLog(sharedDir: string): Promise<{ readonly created: boolean }> {
  try {
    const existed = await stat(join(sharedDir, 'log')).then(
      (s) => s.isDirectory(),
      () => false,
    );
    await mkdir(join(sharedDir, 'log'), { recursive: true });
    await mkdir(join(sharedDir, 'snapshots'), { recursive: true });
    return { created: !existed };
  } catch (err) {
    throw unreachable(sharedDir, (err as Error).message, err);
  }
}
