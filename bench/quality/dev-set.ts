// The quality bench's development set (bench/quality/dev-set.json): real photos from Debian
// packages (installed here with apt-get when missing, never committed) and the repository's
// samples/, each made into an 800 px upright 8-bit sRGB PNG in .bench-cache/ ("the untouched
// original" the degraded copies and the results are compared with).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cachePath, repoRoot } from '../common/bench-images.js';

/** Tuning: thresholds are set on it. Check: goals judged on it (partly seen). Check2: never looked at before the final run. */
export type Half = 'tuning' | 'check' | 'check2';
export const halves: readonly Half[] = ['tuning', 'check', 'check2'];

export interface DevPhoto {
  /** Stable name, `source/photo`. */
  readonly id: string;
  /** `repo` (samples/) or the Debian package that carries the file. */
  readonly source: string;
  /** Absolute path, or relative to the repository for `repo`. */
  readonly path: string;
  /** Tuning: the method may be tuned on it. Check, check2: the goals are judged on them, aggregate only. */
  readonly half: Half;
  readonly what: string;
}

/** Long side of the bench's photos (issue 16: goals at 800 px). */
export const benchLongSide = 800;

export function readDevSet(): DevPhoto[] {
  const raw = JSON.parse(readFileSync(join(repoRoot, 'bench/quality/dev-set.json'), 'utf8')) as {
    photos: DevPhoto[];
  };
  return raw.photos;
}

/** Where the photo's file is. */
export function sourceFile(p: DevPhoto): string {
  return p.source === 'repo' ? join(repoRoot, p.path) : p.path;
}

/** Installs the Debian packages whose files are missing (root: apt-get; otherwise says what to run). */
export function ensurePackages(photos: readonly DevPhoto[]): void {
  const missing = [
    ...new Set(photos.filter((p) => p.source !== 'repo' && !existsSync(p.path)).map((p) => p.source)),
  ];
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) throw new Error(`development set incomplete; run as root: ${command}`);
  console.log(`development set: ${command} ...`);
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    if (install() !== 0) throw new Error(`installing the development set failed; run: ${command}`);
  }
  const still = photos.filter((p) => p.source !== 'repo' && !existsSync(p.path));
  if (still.length > 0)
    throw new Error(`still missing after install: ${still.map((p) => p.path).join(', ')}`);
}

/** The photo at 800 px (long side), upright, 8-bit sRGB RGB, lossless PNG; cached. */
export async function pristine800(p: DevPhoto): Promise<string> {
  const out = await cachePath('quality16', 'pristine', `${p.id.replace(/\//g, '__')}.png`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp.png`;
  await sharp(sourceFile(p))
    .autoOrient()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(benchLongSide, benchLongSide, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toFile(tmp);
  const { rename } = await import('node:fs/promises');
  await rename(tmp, out);
  return out;
}
