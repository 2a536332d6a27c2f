// `darkroom doctor`: checks the shared drive's behaviour that darkroom relies on (see
// src/events/drive-doctor.ts and docs/operations.md "Checking a shared drive").
import type { Command } from 'commander';
import { checkDrive, type CheckStatus } from '../events/drive-doctor.js';
import { requireLog } from '../events/log-init.js';
import { action, type CliContext } from './cli-context.js';
import { resolveSharedDrive, withSharedDirOptions, type SharedDirOptions } from './shared-dir-option.js';

const mark: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skipped: 'skip' };

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  withSharedDirOptions(program.command('doctor'))
    .description(
      'check the shared drive: exclusive create, mkdir and link, atomic rename, fsync, clock skew, the append lock, and visibility through another mount (--view)',
    )
    .option('--view <dir>', 'the same share through another mount point (as another server sees it)')
    .option('--rounds <n>', 'rounds of the race checks', '50')
    .option('--json', 'print the checks as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & { view?: string; rounds: string; json?: boolean }) => {
        const drive = await resolveSharedDrive(opts);
        // A share that is not mounted would test the local disk under the mount point.
        await requireLog(drive.sharedDir);
        const rounds = Number(opts.rounds);
        const checks = await checkDrive({
          sharedDir: drive.sharedDir,
          ...(opts.view !== undefined ? { viewDir: opts.view } : {}),
          ...(drive.lock !== undefined ? { staleMs: drive.lock.staleMs } : {}),
          ...(Number.isSafeInteger(rounds) && rounds > 0 ? { rounds } : {}),
        });
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
