// Uploads into the shared drive: the bytes of a POST /api/jobs go to `<shared>/work/<jobId>/`
// under a name derived from the client's, never outside that folder, then JobSubmitted.
//
// Files touched: `<shared>/work/<jobId>/` (created), its manifest `.darkroom-job.json`, the
//   upload under the temp name `.upload.part`, renamed to its final name.
// Atomic operation: mkdir of `work/<jobId>/` (the job id is new: random) and rename of the temp
//   file within that folder; the JobSubmitted append (condition jobAbsent) makes it a job.
// Invariant relying on it: a client-given name can never leave the job's work folder; a crash
//   before the append leaves an orphan that orphan recovery submits or discards.
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DarkroomError } from '../errors/darkroom-error.js';
import { manifestName, workDirOf, type WorkManifest } from '../hotfolders/take-file.js';
import { writeMarker } from '../instance/work-marker.js';

/**
 * The file name a client-given `name` may have in a work folder: its last path component (either
 * separator), without control characters; refused when nothing usable is left (`..`, `.`, empty,
 * a dotfile such as the manifest). E_REQUEST_INVALID names the problem.
 */
export function confinedName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? '';
  const bad = (detail: string) =>
    new DarkroomError('E_REQUEST_INVALID', { where: 'name', detail: `"${name}": ${detail}` });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(last)) throw bad('control characters are not allowed in a file name');
  if (last === '' || last === '.' || last === '..') throw bad('it names no file');
  if (last.startsWith('.')) throw bad('a file name may not start with a dot');
  if (Buffer.byteLength(last) > 255) throw bad('the file name is longer than 255 bytes');
  return last;
}

export interface StoredUpload {
  readonly workDirRel: string;
  readonly file: string;
  readonly bytes: number;
}

/** Counts bytes and fails with E_UPLOAD_TOO_LARGE past `limit`. */
function limiter(limit: number): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > limit) cb(new DarkroomError('E_UPLOAD_TOO_LARGE', { limit }));
      else cb(null, chunk);
    },
  });
}

/** Writes `body` to `work/<jobId>/<name>` (durably), with a manifest for orphan recovery. */
export async function storeUpload(
  sharedDir: string,
  jobId: string,
  channel: string,
  name: string,
  body: Readable,
  limit: number,
): Promise<StoredUpload> {
  const file = confinedName(name);
  const workDir = workDirOf(sharedDir, jobId);
  await mkdir(join(sharedDir, 'work'), { recursive: true });
  await mkdir(workDir);
  try {
    const manifest: WorkManifest = { jobId, channel, relPath: file, source: `upload:${file}`, file };
    await writeMarker(join(workDir, manifestName), manifest);
    const part = join(workDir, '.upload.part');
    await pipeline(body, limiter(limit), createWriteStream(part, { flags: 'wx' }));
    const fh = await open(part, 'r');
    let bytes: number;
    try {
      await fh.sync();
      bytes = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    await rename(part, join(workDir, file));
    const dir = await open(workDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { workDirRel: `work/${jobId}`, file, bytes };
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}
