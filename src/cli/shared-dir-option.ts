// The `--shared DIR` / `--conf FILE` pair every log command takes: resolves the shared drive
// (and, from a conf, the append lock timings).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConf } from '../cluster/conf.js';
import { DarkroomError } from '../errors/darkroom-error.js';

export interface SharedDirOptions {
  shared?: string;
  conf?: string;
}

export interface SharedDrive {
  readonly sharedDir: string;
  readonly lock?: { readonly staleMs: number; readonly updateMs: number };
}

export function withSharedDirOptions(cmd: Command): Command {
  return cmd
    .option('--shared <dir>', 'the shared drive (the folder holding log/ and snapshots/)')
    .option('--conf <file>', 'the cluster conf file (ClaroServers.conf): its shared drive is used');
}

export async function resolveSharedDrive(opts: SharedDirOptions): Promise<SharedDrive> {
  if (opts.shared !== undefined && opts.conf !== undefined) {
    throw new DarkroomError('E_USAGE', { detail: 'pass either --shared DIR or --conf FILE, not both' });
  }
  if (opts.shared !== undefined) return { sharedDir: resolve(opts.shared) };
  if (opts.conf !== undefined) {
    const conf = await loadConf(opts.conf);
    return { sharedDir: conf.sharedDir, lock: { staleMs: conf.lockStaleMs, updateMs: conf.lockUpdateMs } };
  }
  throw new DarkroomError('E_USAGE', { detail: 'which log? pass --shared DIR or --conf FILE' });
}
