// Taking a file out of a hotfolder into `<shared>/work/<jobId>/`, so that a file becomes exactly one
// job, and finding work folders whose take was never followed by a JobSubmitted (orphans).
//
// Files touched: the input `<input>/<relPath>`; `<shared>/work/<jobId>/` (created), its manifest
//   `.darkroom-job.json` (written before the take), the taken `<name>`; across file systems also a
//   claim `<input folder>/.darkroom-taking-<jobId>` and `work/<jobId>/.<name>.copying`.
// Atomic operation: rename(input, work/<jobId>/<name>) — of two racing takers exactly one
//   succeeds, the other gets ENOENT. Across file systems (EXDEV) the atomic step is
//   rename(input, claim) inside the input's own file system; the copy into work follows.
// Invariant relying on it: invariant 1 (a file in a hotfolder ends in exactly one place): one
//   input, one work folder, one JobSubmitted (orphan recovery submits those whose append was lost).
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { DarkroomError, isDriveFull } from '../errors/darkroom-error.js';
import { isMarkerTemp, writeMarker } from '../instance/work-marker.js';

/** The manifest's name: a dotfile, so no input (hotfolders ignore dotfiles) can ever be named so. */
export const manifestName = '.darkroom-job.json';
const claimPrefix = '.darkroom-taking-';

export const workManifestSchema = z
  .object({
    jobId: z.string().min(1),
    channel: z.string().min(1).describe('the channel whose hotfolder the file came from'),
    relPath: z.string().min(1).describe('path relative to the input folder, `/`-separated'),
    source: z
      .string()
      .min(1)
      .describe(
        'drive path of the input when it was taken (src/drive-path.ts; absolute when outside the drive)',
      ),
    file: z.string().min(1).describe('the input file name inside the work folder'),
  })
  .strict();
export type WorkManifest = z.infer<typeof workManifestSchema>;

export interface TakeMeta {
  readonly channel: string;
  readonly relPath: string;
}

export interface TakenFile {
  readonly jobId: string;
  /** Absolute path of `work/<jobId>`. */
  readonly workDir: string;
  /** `work/<jobId>`, relative to the shared drive (JobSubmitted.workDir). */
  readonly workDirRel: string;
  /** The file name inside the work folder (JobSubmitted.file). */
  readonly file: string;
  readonly path: string;
  readonly bytes: number;
}

export function workDirOf(sharedDir: string, jobId: string): string {
  return join(sharedDir, 'work', jobId);
}

/**
 * Takes `inputPath` into `work/<jobId>/`. Returns undefined when the input is gone (another taker
 * won, or it was removed). With `meta` a manifest is written first so that a crash between the
 * take and the JobSubmitted append can be recovered (findOrphanedWork). Call it again with the same
 * jobId (without meta) to take companion files such as a job ticket.
 */
export async function takeFile(
  sharedDir: string,
  inputPath: string,
  jobId: string,
  meta?: TakeMeta,
): Promise<TakenFile | undefined> {
  const workDir = workDirOf(sharedDir, jobId);
  const file = basename(inputPath);
  const dest = join(workDir, file);
  await mkdir(workDir, { recursive: true });
  if (meta) {
    const manifest: WorkManifest = {
      jobId,
      channel: meta.channel,
      relPath: meta.relPath,
      source: toDrivePath(sharedDir, inputPath),
      file,
    };
    try {
      // Whole or not at all (temp + rename): a kill mid-write must not leave an empty manifest.
      await writeMarker(join(workDir, manifestName), manifest, { durable: true });
    } catch (err) {
      // E.g. a full drive: nothing was taken yet, the input stays where it is; no half manifest
      // is left for orphan recovery to puzzle over.
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      if (isDriveFull(err))
        throw new DarkroomError(
          'E_DRIVE_FULL',
          { what: `the work folder of ${meta.relPath} (work/${jobId})`, reason: (err as Error).message },
          { cause: err },
        );
      throw err;
    }
  }
  try {
    await rename(inputPath, dest);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') {
      if (meta) await rm(workDir, { recursive: true, force: true });
      // The input still there: it was our work folder that went (discarded as abandoned while
      // this take was slow); thrown, so the watcher offers the file again.
      if ((await statOrUndefined(inputPath)) !== undefined)
        throw new Error(`work/${jobId} was discarded while ${basename(inputPath)} was being taken`, {
          cause: err,
        });
      return undefined;
    }
    if (code !== 'EXDEV') throw err;
    // Another file system: claim the input by a rename where it lies, then copy.
    const claim = claimPathOf(inputPath, jobId);
    try {
      await rename(inputPath, claim);
    } catch (claimErr) {
      if (errCode(claimErr) !== 'ENOENT') throw claimErr;
      if (meta) await rm(workDir, { recursive: true, force: true });
      return undefined;
    }
    await finishClaim(claim, dest);
  }
  await syncDir(workDir);
  const st = await stat(dest);
  return { jobId, workDir, workDirRel: `work/${jobId}`, file, path: dest, bytes: st.size };
}

/** Where a cross-file-system take parks the input (hidden, in the input's own folder). */
export function claimPathOf(inputPath: string, jobId: string): string {
  return join(dirname(inputPath), `${claimPrefix}${jobId}`);
}

/** Copies a claimed input into work under a temp name, fsyncs, renames it in place, drops the claim. */
async function finishClaim(claim: string, dest: string): Promise<void> {
  const copying = join(dirname(dest), `.${basename(dest)}.copying`);
  await copyFile(claim, copying, constants.COPYFILE_FICLONE);
  const fh = await open(copying, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(copying, dest);
  await syncDir(dirname(dest));
  await unlink(claim);
}

export type OrphanKind =
  /** The input is in work but no JobSubmitted names it: submit it. */
  | 'taken'
  /** A cross-file-system take stopped after the claim: `resumeClaimedTake`, then submit. */
  | 'claimed'
  /**
   * The take never happened: a manifest but no input and no claim, or (no `manifest`) a folder
   * holding nothing but a marker's temp — a take killed before its manifest was in place; `discardWork`.
   */
  | 'abandoned'
  /** No readable manifest (an upload or a foreign folder): left to the caller. */
  | 'unknown';

export interface OrphanedWork {
  readonly jobId: string;
  readonly kind: OrphanKind;
  readonly workDir: string;
  readonly workDirRel: string;
  readonly manifest?: WorkManifest;
  /** Bytes of the taken input (kind `taken`). */
  readonly bytes?: number;
  readonly claim?: string;
}

export interface OrphanScanOptions {
  /** Job ids the caller is taking right now (never reported). */
  readonly exclude?: ReadonlySet<string>;
  /** Skip folders younger than this (by the manifest's mtime): a take may still be under way. */
  readonly minAgeMs?: number;
  /** Wall-clock ms for minAgeMs (injected). */
  readonly nowMs?: number;
}

/**
 * Work folders with no job in the projection: the coordinator submits them at start (and on its
 * rescans) so that a crash between the take and the JobSubmitted append loses nothing.
 */
export async function findOrphanedWork(
  sharedDir: string,
  knownJobIds: ReadonlySet<string> | ((jobId: string) => boolean),
  options: OrphanScanOptions = {},
): Promise<OrphanedWork[]> {
  const known = typeof knownJobIds === 'function' ? knownJobIds : (id: string) => knownJobIds.has(id);
  const root = join(sharedDir, 'work');
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if (errCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: OrphanedWork[] = [];
  for (const e of entries.filter((d) => d.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const jobId = e.name;
    // Job ids never start with a dot; `.discarding-<jobId>` is a discard under way (discardAbandoned).
    if (jobId.startsWith('.')) continue;
    if (known(jobId) || options.exclude?.has(jobId)) continue;
    const workDir = join(root, jobId);
    const base = { jobId, workDir, workDirRel: `work/${jobId}` };
    const manifestPath = join(workDir, manifestName);
    let manifest: WorkManifest;
    let mtimeMs: number;
    try {
      const [text, st] = await Promise.all([readFile(manifestPath, 'utf8'), stat(manifestPath)]);
      manifest = workManifestSchema.parse(JSON.parse(text));
      mtimeMs = st.mtimeMs;
    } catch {
      // A take killed between its mkdir and the manifest's rename leaves an empty folder (or only
      // the manifest's temp): abandoned once old enough. Anything else is not ours to judge.
      const names = await readdir(workDir).catch(() => undefined);
      const dir = await statOrUndefined(workDir);
      if (names === undefined || dir === undefined || !names.every(isMarkerTemp)) {
        out.push({ ...base, kind: 'unknown' });
      } else if (!tooYoung(dir.mtimeMs, options)) {
        out.push({ ...base, kind: 'abandoned' });
      }
      continue;
    }
    if (tooYoung(mtimeMs, options)) continue;
    const input = await statOrUndefined(join(workDir, manifest.file));
    if (input) {
      out.push({ ...base, kind: 'taken', manifest, bytes: input.size });
      continue;
    }
    const claim = claimPathOf(fromDrivePath(sharedDir, manifest.source), jobId);
    if (await statOrUndefined(claim)) out.push({ ...base, kind: 'claimed', manifest, claim });
    else out.push({ ...base, kind: 'abandoned', manifest });
  }
  return out;
}

/** Completes a cross-file-system take that stopped after its claim (orphan kind `claimed`). */
export async function resumeClaimedTake(orphan: OrphanedWork): Promise<TakenFile> {
  if (orphan.kind !== 'claimed' || !orphan.manifest || !orphan.claim) {
    throw new Error(`work/${orphan.jobId} is ${orphan.kind}, not a claimed take`);
  }
  const dest = join(orphan.workDir, orphan.manifest.file);
  await finishClaim(orphan.claim, dest);
  const st = await stat(dest);
  return {
    jobId: orphan.jobId,
    workDir: orphan.workDir,
    workDirRel: orphan.workDirRel,
    file: orphan.manifest.file,
    path: dest,
    bytes: st.size,
  };
}

const parkedPrefix = '.discarding-';

/**
 * Discards an abandoned take without ever destroying an input. "No input" may be a cache's view
 * (a name created through another mount shows late) or a take still under way on a slow or
 * stalled instance (its manifest written, its rename not yet): so the folder is first renamed to
 * `work/.discarding-<jobId>` — atomic: a take's rename into the old name fails from then on and
 * its input stays in the hotfolder — and the parked folder is listed afresh (a name never looked
 * up, so no cache answers). Only markers there: removed. Anything else (the input after all): put
 * back as `work/<jobId>`, a taken orphan the next scan submits. Returns true when discarded.
 * Parked folders left by a crash are resolved by `resolveParkedWork`.
 */
export async function discardAbandoned(sharedDir: string, jobId: string): Promise<boolean> {
  const parked = join(sharedDir, 'work', `${parkedPrefix}${jobId}`);
  try {
    await rename(workDirOf(sharedDir, jobId), parked);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
  return settleParked(sharedDir, jobId, parked);
}

async function settleParked(sharedDir: string, jobId: string, parked: string): Promise<boolean> {
  const names = await readdir(parked);
  if (names.every((n) => n === manifestName || isMarkerTemp(n))) {
    await rm(parked, { recursive: true, force: true });
    return true;
  }
  await rename(parked, workDirOf(sharedDir, jobId));
  return false;
}

/** Finishes discards a crash interrupted (`work/.discarding-*`); returns how many were discarded. */
export async function resolveParkedWork(sharedDir: string): Promise<number> {
  const root = join(sharedDir, 'work');
  const names = await readdir(root).catch(() => [] as string[]);
  let n = 0;
  for (const name of names.filter((x) => x.startsWith(parkedPrefix))) {
    if (await settleParked(sharedDir, name.slice(parkedPrefix.length), join(root, name))) n++;
  }
  return n;
}

/** Removes a work folder (a finished job's leftovers). */
export async function discardWork(sharedDir: string, jobId: string): Promise<void> {
  await rm(workDirOf(sharedDir, jobId), { recursive: true, force: true });
}

/** fsync of a folder so a rename in it survives a crash; some file systems refuse it (ignored). */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF', 'ENOTSUP'].includes(errCode(err) ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

function tooYoung(mtimeMs: number, o: OrphanScanOptions): boolean {
  return o.minAgeMs !== undefined && o.nowMs !== undefined && o.nowMs - mtimeMs < o.minAgeMs;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
