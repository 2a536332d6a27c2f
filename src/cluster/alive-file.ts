// The alive file: every instance rewrites <shared>/cluster/instances/<id>.json every heartbeat with
// a growing counter, its last heartbeat and what it sees of its peers. It is the drive-side sign of
// life (an instance whose cluster port is blocked still shows it is alive), the probe that measures
// the instance's own storage health, and what `darkroom cluster status` reads from any server.
//
// Files touched: <shared>/cluster/instances/<id>.json (and a temp file beside it).
// Atomic operation: rename(temp, <id>.json) — a reader sees the old content or the new, never half.
// Invariant relying on it: "alive" is judged by the counter changing, by the reader's own monotonic
// clock (DESIGN.md Failure), never by a timestamp written by another machine.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { beatSchema } from './peer-messages.js';

export const aliveFileSchema = z
  .object({
    instanceId: z.string().min(1),
    inc: z.number().int().nonnegative(),
    counter: z.number().int().nonnegative().describe('grows by one per write; readers compare it only'),
    writtenAt: z.string().describe('wall-clock time of the write (for people only; never compared)'),
    beat: beatSchema.describe('the heartbeat it sent at that moment'),
    peers: z
      .array(
        z
          .object({
            name: z.string(),
            connected: z.boolean().describe('an authenticated connection with it is open'),
            heardAgoMs: z.number().nullable().describe('ms since its last heartbeat arrived (null: never)'),
            refused: z.string().optional().describe('why the last connection with it was refused'),
          })
          .strict(),
      )
      .describe('what this instance sees of the other servers of the conf on the cluster port'),
  })
  .strict();
export type AliveFile = z.infer<typeof aliveFileSchema>;

export function aliveDir(sharedDir: string): string {
  return join(sharedDir, 'cluster', 'instances');
}

export function aliveFile(sharedDir: string, instanceId: string): string {
  return join(aliveDir(sharedDir), `${instanceId}.json`);
}

/** Writes the alive file (temp + rename). Touches the shared drive; may hang when it stalls. */
export async function writeAliveFile(sharedDir: string, content: AliveFile): Promise<void> {
  const dir = aliveDir(sharedDir);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${content.instanceId}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(content)}\n`, { flag: 'wx' });
    await rename(tmp, aliveFile(sharedDir, content.instanceId));
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** One alive file, or undefined when it is absent or unreadable this time (one bad read is no news). */
export async function readAliveFile(sharedDir: string, instanceId: string): Promise<AliveFile | undefined> {
  try {
    const parsed = aliveFileSchema.safeParse(
      JSON.parse(await readFile(aliveFile(sharedDir, instanceId), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Every readable alive file, by instance id. */
export async function readAliveFiles(sharedDir: string): Promise<Map<string, AliveFile>> {
  const out = new Map<string, AliveFile>();
  let names: string[];
  try {
    names = await readdir(aliveDir(sharedDir));
  } catch {
    return out;
  }
  const ids = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -5));
  const files = await Promise.all(ids.map(async (id) => readAliveFile(sharedDir, id)));
  for (const f of files) if (f !== undefined) out.set(f.instanceId, f);
  return out;
}
