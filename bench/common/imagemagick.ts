// ImageMagick for the benches: finds /usr/bin/convert, installs Debian's `imagemagick` when it
// is missing and we are root (otherwise says how), and runs convert as a child process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runMeasured, type Measured } from './measured-process.js';

export const convertPath = '/usr/bin/convert';

/** Makes sure `convert` exists; returns its version line. Throws with the command to run. */
export function ensureImageMagick(): string {
  if (!existsSync(convertPath)) {
    const isRoot = process.getuid?.() === 0;
    if (!isRoot) {
      throw new Error(
        `ImageMagick is missing (${convertPath}); install it with: sudo apt-get install -y imagemagick`,
      );
    }
    console.log('ImageMagick is missing: apt-get install -y imagemagick ...');
    let r = spawnSync('apt-get', ['install', '-y', 'imagemagick'], { stdio: 'inherit' });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      r = spawnSync('apt-get', ['install', '-y', 'imagemagick'], { stdio: 'inherit' });
    }
    if (r.status !== 0 || !existsSync(convertPath)) {
      throw new Error(
        `installing ImageMagick failed (exit ${r.status}); run: apt-get install -y imagemagick`,
      );
    }
  }
  const v = spawnSync(convertPath, ['-version'], { encoding: 'utf8' });
  return (v.stdout.split('\n')[0] ?? '').replace(/^Version:\s*/, '');
}

/** Runs `convert args...`; resolves with wall time and the process's peak RSS, rejects on failure. */
export function runConvert(args: readonly string[]): Promise<Measured> {
  return runMeasured(convertPath, args);
}
