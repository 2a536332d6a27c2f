// Path confinement: the one rule for every path a client names (job tickets now, HTTP requests
// later). A path is resolved the way the kernel will follow it (symlinks first, then `..`) and
// must land inside one of the allowed roots; anything else is E_TICKET_PATH_OUTSIDE.
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, parse, relative, sep } from 'node:path';
import { DarkroomError } from '../errors/darkroom-error.js';

/**
 * The real path `path` leads to, component by component: each existing component is realpath'ed
 * (a symlink is followed before a later `..` applies, as the kernel does); once a component does
 * not exist, the rest is joined as written (folders yet to be made cannot be symlinks).
 * Touches the file system (realpath only).
 */
export async function resolveReal(path: string): Promise<string> {
  const { root } = parse(path);
  let cur = await realpath(root);
  let missing = false;
  for (const part of path.slice(root.length).split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, part);
    if (missing) {
      cur = next;
      continue;
    }
    try {
      cur = await realpath(next);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      missing = true;
      cur = next;
    }
  }
  return cur;
}

/** True when `path` is `root` or below it (both already real, absolute paths). */
export function isInside(path: string, root: string): boolean {
  const r = relative(root, path);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

export interface ConfineOptions {
  /** What names the path, for the message: `job ticket in/news.xml <outputFolder>`. */
  readonly what: string;
  /** A relative `requested` is relative to this folder. */
  readonly base: string;
  /** Folders the path may lie in (or be); each is resolved the same way. */
  readonly roots: readonly string[];
}

/**
 * Resolves `requested` (absolute, or relative to `base`) and returns the real path it leads to,
 * when that lies inside one of `roots`; else throws E_TICKET_PATH_OUTSIDE naming the path, where
 * it leads and the roots. Touches the file system (realpath only); call it right before use.
 */
export async function confinePath(requested: string, o: ConfineOptions): Promise<string> {
  // Not path.join: it would collapse `link/..` lexically, before the link is followed.
  const resolved = await resolveReal(isAbsolute(requested) ? requested : `${o.base}${sep}${requested}`);
  const roots = await Promise.all(o.roots.map((r) => resolveReal(r)));
  if (roots.some((r) => isInside(resolved, r))) return resolved;
  throw new DarkroomError('E_TICKET_PATH_OUTSIDE', {
    what: o.what,
    path: requested,
    resolved,
    roots: roots.length === 0 ? 'none' : roots.join(', '),
  });
}
