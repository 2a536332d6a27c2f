// Test helper: runs `darkroom ...` in-process through main() against a temp shared folder,
// as a given user, capturing what it prints.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { initLog } from '../../../src/events/log-init.js';

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A temp shared drive holding a new, empty log (as `darkroom log init` makes it). */
export async function tempShared(prefix = 'darkroom-channels-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await initLog(dir);
  return dir;
}

/** Runs the CLI with `args` as $USER `user`; the shared folder is passed by the caller. */
export async function darkroom(args: readonly string[], user = 'ann'): Promise<Run> {
  let out = '';
  let err = '';
  const before = process.env['USER'];
  process.env['USER'] = user;
  try {
    const code = await main(['node', 'darkroom', ...args], {
      out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
      err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
    });
    return { code, out, err };
  } finally {
    if (before === undefined) delete process.env['USER'];
    else process.env['USER'] = before;
  }
}

/** Runs the CLI and parses its JSON output; fails with what it printed when the exit code is not 0. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the printed JSON loosely
export async function darkroomJson<T = any>(args: readonly string[], user = 'ann'): Promise<T> {
  const r = await darkroom([...args, '--json'], user);
  if (r.code !== 0) throw new Error(`darkroom ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}`);
  return JSON.parse(r.out) as T;
}
