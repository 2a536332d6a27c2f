// `darkroom doctor`: checks the shared drive's behaviour that darkroom relies on (see
// src/events/drive-doctor.ts and docs/operations.md "Checking a shared drive"); with `--conf`,
// also between servers: each running instance of the conf is asked over its cluster port how
// soon it sees a file made here, its clock and its conf (src/cluster/doctor-peers.ts).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConf } from '../cluster/conf.js';
import { checkPeers } from '../cluster/doctor-peers.js';
import { checkDrive, type CheckStatus } from '../events/drive-doctor.js';
import { requireLog } from '../events/log-init.js';
import { action, type CliContext } from './cli-context.js';
import { resolveSharedDrive, withSharedDirOptions, type SharedDirOptions } from './shared-dir-option.js';

const mark: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skipped: 'skip' };

interface DoctorOpts extends SharedDirOptions {
  view?: string;
  rounds: string;
  json?: boolean;
  peers: boolean;
}

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  withSharedDirOptions(program.command('doctor'))
    .description(
      'check the shared drive: exclusive create, mkdir and link, atomic rename, fsync, clock skew, the append lock, and visibility through another mount (--view); with --conf also between servers: how soon each running instance sees a new file, its clock, its conf, the cluster ports',
    )
    .option('--view <dir>', 'the same share through another mount point (as another server sees it)')
    .option('--rounds <n>', 'rounds of the race checks', '50')
    .option('--no-peers', 'with --conf: skip the checks between servers')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      "\nWith --conf FILE, --shared DIR names this server's own mount of the conf's share (as for `darkroom start`).",
    )
    .action(
      action(ctx, async (opts: DoctorOpts) => {
        // With a conf, --shared is this server's mount of its share (as `start --shared`).
        const conf = opts.conf !== undefined ? await loadConf(opts.conf) : undefined;
        const drive =
          conf !== undefined
            ? {
                sharedDir: opts.shared !== undefined ? resolve(opts.shared) : conf.sharedDir,
                lock: { staleMs: conf.lockStaleMs, updateMs: conf.lockUpdateMs },
              }
            : await resolveSharedDrive(opts);
        // A share that is not mounted would test the local disk under the mount point.
        await requireLog(drive.sharedDir);
        const rounds = Number(opts.rounds);
        const checks = await checkDrive({
          sharedDir: drive.sharedDir,
          ...(opts.view !== undefined ? { viewDir: opts.view } : {}),
          ...(drive.lock !== undefined ? { staleMs: drive.lock.staleMs } : {}),
          ...(Number.isSafeInteger(rounds) && rounds > 0 ? { rounds } : {}),
        });
        if (conf !== undefined && opts.peers)
          checks.push(...(await checkPeers({ conf, sharedDir: drive.sharedDir })));
        const failed = checks.filter((c) => c.status === 'fail').length;
        if (opts.json) ctx.out(JSON.stringify({ sharedDir: drive.sharedDir, checks, failed }));
        else {
          ctx.out(`darkroom doctor: ${drive.sharedDir}${opts.view ? ` (view ${opts.view})` : ''}`);
          for (const c of checks) ctx.out(`${mark[c.status].padEnd(4)}  ${c.name.padEnd(16)}  ${c.detail}`);
          ctx.out(failed === 0 ? 'the drive can hold darkroom’s log' : `${failed} check(s) failed`);
        }
        return failed === 0 ? 0 : 1;
      }),
    );
}
