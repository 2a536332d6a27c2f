// Drive paths: how events, projections and work-folder markers name files, so that servers that
// mount the shared drive at different paths (`/mnt/press`, `/Volumes/press`) share one cluster.
// A file inside the shared drive is named by its path relative to the drive's root
// (`/`-separated, never starting with `/` or `..`); a file outside it (a channel folder the
// channel settings give as an absolute path elsewhere) keeps that absolute path, which every
// server reaches the same way because the channel settings are the same on every server.
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * The drive path of `path` (absolute, as this instance's mount sees it): relative to `sharedDir`
 * when inside it, else `path` unchanged. A path already relative is returned as it is. Pure.
 */
export function toDrivePath(sharedDir: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(sharedDir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * The absolute path on this instance's mount of a drive path an event names. An absolute path
 * (outside the drive, or written by an older version) is returned as it is. Pure.
 */
export function fromDrivePath(sharedDir: string, drivePath: string): string {
  return isAbsolute(drivePath) ? drivePath : join(sharedDir, ...drivePath.split('/'));
}

/**
 * `text` (an error message, a reason) with every path inside the drive written as its drive path,
 * so a message recorded in the log names no instance's mount path. Pure.
 */
export function drivePathsIn(sharedDir: string, text: string): string {
  const root = sharedDir.endsWith(sep) ? sharedDir : `${sharedDir}${sep}`;
  return text.split(root).join('');
}
