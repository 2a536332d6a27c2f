// Is dist/ the build of the src/ beside it? A fingerprint of the sources (path, size, mtime of
// every file under src/, and of the build script) is written into dist/ by the build and compared
// by bin/darkroom.js before it loads dist/: a stat per source file (~1 ms), no reading or hashing
// of contents. Node's fs only: this runs on every command start.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const stampName = '.build-stamp';

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The source files the build reads, sorted (absolute paths). */
export function sourceFiles(root) {
  return walk(join(root, 'src'), []).sort();
}

/**
 * The fingerprint of the sources as they are now: any edit, new, removed or renamed file under
 * src/ (or a change of the build script) changes it. Equality, not "newer than": a checkout that
 * moves mtimes backwards is caught too.
 */
export function sourceFingerprint(root) {
  const base = resolve(root);
  let text = '';
  for (const f of [...sourceFiles(base), join(base, 'scripts/build.js')]) {
    const s = statSync(f);
    text += `${f.slice(base.length)} ${s.size} ${s.mtimeMs}\n`;
  }
  return text;
}

/** The fingerprint the last complete build wrote, or undefined (no dist/ or never finished). */
export function builtFingerprint(root) {
  try {
    return readFileSync(join(root, 'dist', stampName), 'utf8');
  } catch {
    return undefined;
  }
}
