// The markers in a job's work folder (`work/<jobId>/.darkroom-*.json`: the take's manifest, where
// the original went, the bad file, the routed file, the published output): small JSON files a
// rerun reads to learn what an earlier attempt did.
//
// Files touched: `<dir>/<name>` and its temp `<dir>/<name>.<pid>-<n>.tmp` (removed on failure; a
// temp left by a kill goes with the work folder).
// Atomic operation: rename(temp, name) — a reader sees no marker or the whole marker, never an
// empty or half one (a SIGKILL between creating a file and writing its bytes leaves it empty).
// Invariant relying on it: invariant 1 (one outcome per input): a rerun that misread a half marker
// as "nothing done yet" redid a step whose source was gone (session 5: one job released 16,000
// times), and an empty manifest left its work folder for ever.
import { open, readFile, rename, unlink } from 'node:fs/promises';

/** The file calls a marker write makes (injected by tests that kill it at every step). */
export interface MarkerIo {
  /** Creates `path` (exclusively) with `text`; `durable` flushes it before returning. */
  readonly create: (path: string, text: string, durable: boolean) => Promise<void>;
  readonly rename: (from: string, to: string) => Promise<void>;
  readonly unlink: (path: string) => Promise<void>;
}

async function create(path: string, text: string, durable: boolean): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(text);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
}

export const nodeMarkerIo: MarkerIo = { create, rename, unlink };

/** True for the temp name of a marker (`.darkroom-job.json.123-4.tmp`). */
export function isMarkerTemp(fileName: string): boolean {
  return /^\.darkroom-.*\.\d+-\d+\.tmp$/.test(fileName);
}

let counter = 0;

/**
 * Writes `value` as JSON to `path` atomically (replacing an earlier marker whole). `durable`
 * flushes the bytes before the rename (the take's manifest: it must survive a power cut).
 */
export async function writeMarker(
  path: string,
  value: unknown,
  options: { readonly durable?: boolean; readonly io?: MarkerIo } = {},
): Promise<void> {
  const io = options.io ?? nodeMarkerIo;
  const temp = `${path}.${process.pid}-${counter++}.tmp`;
  try {
    await io.create(temp, `${JSON.stringify(value)}\n`, options.durable === true);
    await io.rename(temp, path);
  } catch (err) {
    await io.unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** The marker's parsed JSON; undefined when there is none (or it cannot be read as JSON). */
export async function readMarker(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
