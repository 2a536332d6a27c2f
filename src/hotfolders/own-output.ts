// Defence in depth against a channel that takes its own outputs (issue 14, item 4): a file whose
// real path lies in a folder darkroom itself writes for that channel (output, bad, originals,
// the already-processed route) is never taken, however it is reached — through a symlink inside
// the input folder, or a folder configured through another path than the input's.
import { resolveReal, isInside } from '../paths/confined-path.js';

export interface OwnFolder {
  /** The setting naming the folder: outputDir, badDir, originalsDir or stamp.routeDir. */
  readonly key: string;
  /** The folder's real path. */
  readonly real: string;
  /** The file's real path. */
  readonly file: string;
}

/**
 * The first of `folders` (setting key → absolute path) that the real path of `file` lies in, or
 * undefined. Symlinks are resolved on both sides (folders that do not exist yet as written).
 * Touches the file system (realpath only).
 */
export async function ownFolderOf(
  file: string,
  folders: Readonly<Record<string, string>>,
): Promise<OwnFolder | undefined> {
  const real = await resolveReal(file);
  for (const [key, folder] of Object.entries(folders)) {
    const root = await resolveReal(folder);
    if (isInside(real, root)) return { key, real: root, file: real };
  }
  return undefined;
}
