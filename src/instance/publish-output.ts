// Publishing a job's output: written under a temp name, then given its final name by an
// exclusive operation, so a rerun can neither add a second output nor replace another job's.
//
// Files touched: <outDir>/.darkroom-<jobId>-<attempt>.tmp, <outDir>/<name>[-N].<ext>,
// <workDir>/.darkroom-publish.intent and <workDir>/.darkroom-published.json (the job's own work
// folder; both name the output (folder) by its drive path, src/drive-path.ts, so an instance with another
// mount reads it right; written whole, src/instance/work-marker.ts). The intent is read only for
// its existence: an empty one left by a kill means the same as a full one.
// Atomic operation: link(temp, final) — EEXIST instead of replacing (counter and fail modes);
// in overwrite mode rename(temp, final), which replaces by the channel's explicit choice.
// Invariant relying on it: invariant 1 — one output per job. A rerun finds an earlier
// attempt's output through published.json, or (crash between link and marker) through the
// leftover temp file sharing the output's inode, or through the caller's `isOurs` check.
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { counterName } from './exclusive-move.js';
import { writeMarker } from './work-marker.js';

export type OnOutputExists = 'overwrite' | 'counter' | 'fail';

export interface PublishRequest {
  readonly outputDir: string;
  /** The desired file name (with the output format's extension). */
  readonly fileName: string;
  readonly data: Uint8Array;
  readonly jobId: string;
  readonly attempt: number;
  /** This instance's path of the shared drive (the markers name the output by its drive path). */
  readonly sharedDir: string;
  /** The job's work folder, where the publish markers live. */
  readonly workDir: string;
  readonly onOutputExists: OnOutputExists;
  /** Extra check that an existing file is this job's output (e.g. its XMP stamp's job id). */
  readonly isOurs?: (path: string) => Promise<boolean>;
  /** Called just before the exclusive step; throws when the attempt is no longer current. */
  readonly beforePublish?: () => Promise<void>;
  /**
   * Called right after the exclusive step; throws when the attempt is no longer current — a
   * worker paused between `beforePublish` and the link, whose job a rerun finished meanwhile: its
   * link is then taken back (unless a rerun adopted it), so the job keeps one output.
   */
  readonly afterPublish?: () => Promise<void>;
}

export interface Published {
  readonly path: string;
  /** True when an earlier attempt had already published it. */
  readonly reused: boolean;
}

const INTENT = '.darkroom-publish.intent';
const DONE = '.darkroom-published.json';

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function tempPrefix(jobId: string): string {
  return `.darkroom-${jobId}-`;
}

/** The output an earlier attempt recorded as published (absolute, on this mount), if any. */
export async function readPublished(workDir: string, sharedDir: string): Promise<string | undefined> {
  try {
    const v = JSON.parse(await readFile(join(workDir, DONE), 'utf8')) as { path?: unknown };
    return typeof v.path === 'string' ? fromDrivePath(sharedDir, v.path) : undefined;
  } catch {
    return undefined;
  }
}

function matchesName(candidate: string, fileName: string): boolean {
  if (candidate === fileName) return true;
  const ext = extname(fileName);
  const base = ext.length > 0 ? fileName.slice(0, -ext.length) : fileName;
  if (!candidate.startsWith(`${base}-`) || !candidate.endsWith(ext)) return false;
  return /^\d+$/.test(candidate.slice(base.length + 1, candidate.length - ext.length));
}

/** Looks for an output an earlier attempt published but did not get to record. */
async function findEarlier(req: PublishRequest): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(req.outputDir);
  } catch {
    return undefined;
  }
  const temps = names.filter((n) => n.startsWith(tempPrefix(req.jobId)));
  const tempOf = new Map<string, string>();
  for (const t of temps) {
    try {
      const s = await stat(join(req.outputDir, t));
      if (s.nlink > 1) tempOf.set(`${s.dev}:${s.ino}`, t);
    } catch {
      // gone meanwhile
    }
  }
  for (const name of names.filter((n) => matchesName(n, req.fileName))) {
    const p = join(req.outputDir, name);
    let s;
    try {
      s = await stat(p);
    } catch {
      continue;
    }
    const temp = tempOf.get(`${s.dev}:${s.ino}`);
    // A name sharing its inode with a temp of this job is adopted only by claiming that temp (an
    // atomic rename): the stale attempt that linked it takes it back only while it still holds its
    // temp. A second link with no claimable temp is being taken back: not adopted.
    if (temp !== undefined) {
      if (await claim(req, temp)) return p;
      continue;
    }
    if (s.nlink > 1) continue;
    if (req.isOurs !== undefined && (await req.isOurs(p))) return p;
  }
  return undefined;
}

/** Renames a temp of an earlier attempt to this attempt's claim name; false when it is gone. */
async function claim(req: PublishRequest, temp: string): Promise<boolean> {
  try {
    await rename(
      join(req.outputDir, temp),
      join(req.outputDir, `${tempPrefix(req.jobId)}${req.attempt}-claimed.tmp`),
    );
    return true;
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Takes back the link `path` of a stale attempt: its temp is renamed to a name no rerun adopts
 * (atomic: fails when a rerun claimed it first, and then the output is the rerun's), then the link
 * and the temp are removed.
 */
async function takeBack(req: PublishRequest, path: string, temp: string): Promise<void> {
  const undo = join(req.outputDir, `.darkroom-undo-${req.jobId}-${req.attempt}.tmp`);
  try {
    await rename(temp, undo);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw err;
  }
  const [a, b] = await Promise.all([stat(undo), stat(path).catch(() => undefined)]);
  if (b !== undefined && a.ino === b.ino && a.dev === b.dev) await unlink(path);
  await unlink(undo);
}

async function removeTemps(outputDir: string, jobId: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(outputDir);
  } catch {
    return;
  }
  for (const n of names.filter((x) => x.startsWith(tempPrefix(jobId)))) {
    await unlink(join(outputDir, n)).catch(() => undefined);
  }
}

/**
 * The output's bytes under the temp name, durable before the link gives them their final name:
 * the one flush of the per-job file work. It protects invariant 1 — once JobCompleted is
 * acknowledged and the original is deleted or archived, the output must survive a crash of the
 * server; unflushed, a power cut could leave a linked output that is empty or short, and a rerun
 * would reuse it. `datasync` (fdatasync) flushes the data and the size, what reading it back
 * needs; the times and the folder entries are not flushed (a rerun finds a missing link again).
 */
async function writeTemp(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/**
 * Records the published path in the work folder, then removes the temp name(s): the one this
 * attempt wrote, or — after an earlier attempt (a rerun) — every temp of this job, found by
 * listing the output folder (a listing per publish would cost O(outputs) each time).
 */
async function record(req: PublishRequest, path: string, temp?: string): Promise<void> {
  const drivePath = toDrivePath(req.sharedDir, path);
  await writeMarker(join(req.workDir, DONE), { path: drivePath, jobId: req.jobId });
  if (temp !== undefined) await unlink(temp).catch(() => undefined);
  else await removeTemps(req.outputDir, req.jobId);
}

/** Publishes `data` as this job's one output. Touches the shared drive. */
export async function publishOutput(req: PublishRequest): Promise<Published> {
  const done = await readPublished(req.workDir, req.sharedDir);
  if (done !== undefined) {
    // A rerun: the earlier attempt may have died between its marker and removing its temp.
    await removeTemps(req.outputDir, req.jobId);
    return { path: done, reused: true };
  }
  await mkdir(req.outputDir, { recursive: true });
  let rerun = false;
  try {
    await writeFile(join(req.workDir, INTENT), `${toDrivePath(req.sharedDir, req.outputDir)}\n`, {
      flag: 'wx',
    });
  } catch (err) {
    if (errCode(err) !== 'EEXIST') throw err;
    rerun = true;
  }
  if (rerun) {
    const earlier = await findEarlier(req);
    if (earlier !== undefined) {
      await record(req, earlier);
      return { path: earlier, reused: true };
    }
  }
  const temp = join(req.outputDir, `${tempPrefix(req.jobId)}${req.attempt}.tmp`);
  // Only a rerun can find a temp of this job: the first attempt to write the intent wrote none before.
  if (rerun) await unlink(temp).catch(() => undefined);
  await writeTemp(temp, req.data);
  try {
    await req.beforePublish?.();
    const path = await place(req, temp);
    if (req.afterPublish !== undefined && req.onOutputExists !== 'overwrite') {
      try {
        await req.afterPublish();
      } catch (err) {
        await takeBack(req, path, temp);
        throw err;
      }
    }
    // A rerun may have left temps of earlier attempts beside ours: list the folder only then.
    await record(req, path, rerun ? undefined : temp);
    return { path, reused: false };
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** link(); on drives without hard links (SMB), an exclusive copy (open wx) instead. */
async function linkOrCopy(temp: string, dest: string): Promise<void> {
  try {
    await link(temp, dest);
  } catch (err) {
    const code = errCode(err);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    await copyFile(temp, dest, constants.COPYFILE_EXCL);
  }
}

async function place(req: PublishRequest, temp: string): Promise<string> {
  if (req.onOutputExists === 'overwrite') {
    const dest = join(req.outputDir, req.fileName);
    await rename(temp, dest);
    return dest;
  }
  for (let n = 0; ; n++) {
    const dest = join(req.outputDir, counterName(req.fileName, n));
    try {
      await linkOrCopy(temp, dest);
      return dest;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      if (req.onOutputExists === 'fail') throw new DarkroomError('E_OUTPUT_EXISTS', { file: dest });
    }
  }
}
