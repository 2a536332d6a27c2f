// Photos for bench:cluster: copies of the repository's sample photos (CC0), staged beside the
// hotfolder and renamed into it, so each file appears complete at once.
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repoRoot } from './bench-cluster.js';

const sources = ['rocket.jpg', 'chelsea.png', 'coffee.png', 'astronaut.png', 'motorcycle_left.png'];

/** Drops `count` photos named `${prefix}NNNN.ext` into `dir`; returns their names. */
export async function dropPhotos(dir: string, count: number, prefix: string): Promise<string[]> {
  const stage = join(dirname(dir), `.stage-${prefix}`);
  await mkdir(stage, { recursive: true });
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const src = sources[i % sources.length]!;
    const name = `${prefix}${String(i).padStart(4, '0')}${src.slice(src.lastIndexOf('.'))}`;
    await copyFile(join(repoRoot, 'samples', src), join(stage, name));
    names.push(name);
  }
  for (const n of names) await rename(join(stage, n), join(dir, n));
  await rm(stage, { recursive: true, force: true });
  return names;
}
