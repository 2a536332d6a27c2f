// Moving and naming files without ever replacing someone else's: originals into the originals
// folder, failed inputs into the bad folder.
//
// Files touched: the source file and `<destDir>/<name>` (or `<name>-1`, `<name>-2`, ...).
// Atomic operation: link(src, dest) — EEXIST instead of replacing; then unlink(src). Across
// devices (EXDEV), copyFile with COPYFILE_EXCL then unlink.
// Invariant relying on it: a file ends in exactly one place (invariant 1); a crash between the
// link and the unlink leaves two names of one file, which `moveExclusive` on rerun detects.
import { constants } from 'node:fs';
import { copyFile, link, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** `photo.jpg`, n=2 -> `photo-2.jpg`; n=0 -> `photo.jpg`. */
export function counterName(fileName: string, n: number): string {
  if (n === 0) return fileName;
  const ext = extname(fileName);
  const base = ext.length > 0 ? fileName.slice(0, -ext.length) : fileName;
  return `${base}-${n}${ext}`;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/** Creates `dest` as a new name for `src` (never replacing); false when `dest` exists. */
async function placeExclusive(src: string, dest: string): Promise<boolean> {
  try {
    await link(src, dest);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST') return false;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
  }
  try {
    await copyFile(src, dest, constants.COPYFILE_EXCL);
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Moves `src` into `destDir` under `fileName`, adding a counter while the name is taken.
 * Returns the final path. Touches the shared drive. `placed` runs after the new name exists and
 * before `src` is removed: a caller records the destination there (a marker in the job's work
 * folder), so a crash never leaves the file moved with nothing saying where — a rerun finds `src`
 * still there, recognises the earlier name as the same file and records it again.
 */
export async function moveExclusive(
  src: string,
  destDir: string,
  fileName: string,
  placed?: (dest: string) => Promise<void>,
): Promise<string> {
  await mkdir(destDir, { recursive: true });
  for (let n = 0; ; n++) {
    const dest = join(destDir, counterName(fileName, n));
    // A crash after an earlier link left `dest` as a second name of this very file.
    if ((await placeExclusive(src, dest)) || (await sameFile(src, dest))) {
      if (placed !== undefined) await placed(dest);
      await unlink(src);
      return dest;
    }
  }
}

/** Writes `text` to a new file `<destDir>/<fileName>` (counter added when taken); returns its path. */
export async function writeExclusive(destDir: string, fileName: string, text: string): Promise<string> {
  await mkdir(destDir, { recursive: true });
  for (let n = 0; ; n++) {
    const dest = join(destDir, counterName(fileName, n));
    try {
      await writeFile(dest, text, { flag: 'wx' });
      return dest;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
    }
  }
}
