// Finding a job's files on this instance: outputs and originals are recorded with the path the
// writing instance saw; an instance that mounts the shared drive elsewhere finds them by the
// part of the path below the drive's root.
import { access } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import type { JobView } from '../projections/state.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** `recorded` as it is, else the longest tail of it that exists below `sharedDir`. */
export async function localPath(sharedDir: string, recorded: string): Promise<string | undefined> {
  if (!isAbsolute(recorded)) {
    const p = join(sharedDir, recorded);
    return (await exists(p)) ? p : undefined;
  }
  if (await exists(recorded)) return recorded;
  const parts = recorded.split(sep).filter((p) => p !== '');
  for (let i = 1; i < parts.length; i++) {
    const p = join(sharedDir, ...parts.slice(i));
    if (await exists(p)) return p;
  }
  return undefined;
}

/** The job's input as this instance sees it: the work copy while it exists, else the archived original. */
export async function inputPath(sharedDir: string, job: JobView): Promise<string | undefined> {
  const work = join(sharedDir, job.workDir, job.file);
  if (await exists(work)) return work;
  return job.original === undefined ? undefined : localPath(sharedDir, job.original);
}

const types: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};

export function contentTypeOf(path: string): string {
  const ext = path.split('.').pop()?.toLowerCase() ?? '';
  return types[ext] ?? 'application/octet-stream';
}
