// `darkroom conf init|check`: writes a commented ClaroServers.conf with a fresh cluster secret,
// and validates one, printing what it parsed (the secret masked).
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeConf, loadConf, parseConf } from '../cluster/conf.js';
import { renderConf } from '../cluster/conf-template.js';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { initLog } from '../events/log-init.js';
import { action, type CliContext } from './cli-context.js';

interface InitOptions {
  out: string;
  shared: string;
  server: string[];
  secretFile?: string;
  force?: boolean;
  json?: boolean;
  /** false with --no-log: write the conf only (the drive is set up elsewhere). */
  log: boolean;
}

interface CheckOptions {
  conf: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A fresh cluster secret: 32 random bytes as 64 hex digits. */
export function freshSecret(): string {
  return randomBytes(32).toString('hex');
}

export function registerConfCommands(program: Command, ctx: CliContext): void {
  const conf = program.command('conf').description('the cluster conf file (ClaroServers.conf)');

  conf
    .command('init')
    .description('write a commented ClaroServers.conf with a fresh cluster secret')
    .requiredOption('--out <file>', 'where to write the conf file')
    .requiredOption('--shared <dir>', 'the shared drive (relative: to the folder of --out)')
    .requiredOption(
      '--server <entry>',
      'NAME@HOST:CLUSTERPORT:HTTPPORT, once per server (repeat the option)',
      collect,
      [],
    )
    .option('--secret-file <file>', 'write the secret to this file and reference it (secretFile =)')
    .option('--force', 'overwrite an existing file')
    .option('--no-log', 'do not create the log on the shared drive (done elsewhere, or by `log init`)')
    .option('--json', 'print the result as JSON')
    .action(
      action(ctx, async (opts: InitOptions) => {
        const secret = freshSecret();
        const text = renderConf({
          shared: opts.shared,
          servers: opts.server,
          ...(opts.secretFile !== undefined ? { secretFile: opts.secretFile } : { secret }),
        });
        let parsed;
        try {
          parsed = parseConf(text, opts.out, { readFile: () => secret });
        } catch (err) {
          if (isDarkroomError(err) && (err.code === 'E_CONF_SYNTAX' || err.code === 'E_CONF_INVALID')) {
            throw new DarkroomError('E_USAGE', { detail: `conf init: ${String(err.fields['detail'])}` });
          }
          throw err;
        }
        const flag = opts.force ? 'w' : 'wx';
        if (parsed.secretFile !== undefined) await writeExclusive(parsed.secretFile, `${secret}\n`, flag);
        try {
          await writeExclusive(opts.out, text, flag);
        } catch (err) {
          if (parsed.secretFile !== undefined) await rm(parsed.secretFile, { force: true });
          throw err;
        }
        // The one command besides `log init` that creates a log: a new cluster starts here.
        const log = opts.log ? await initLog(parsed.sharedDir) : undefined;
        if (opts.json)
          ctx.out(
            JSON.stringify({
              file: parsed.file,
              conf: describeConf(parsed),
              logCreated: log?.created ?? false,
            }),
          );
        else {
          ctx.out(
            `wrote ${parsed.file} (${parsed.servers.length} servers, shared drive ${parsed.sharedDir})`,
          );
          if (log !== undefined)
            ctx.out(
              log.created
                ? `created a new, empty log on the shared drive (${parsed.sharedDir}/log)`
                : `the shared drive already holds a log (${parsed.sharedDir}/log): left as it is`,
            );
          if (parsed.secretFile) ctx.out(`wrote the cluster secret to ${parsed.secretFile}`);
          ctx.out('copy the same file to every server of the cluster');
        }
        return 0;
      }),
    );

  conf
    .command('check')
    .description('validate a conf file and print what it says (the secret masked)')
    .requiredOption('--conf <file>', 'the conf file')
    .option('--json', 'print the parsed conf as JSON')
    .action(
      action(ctx, async (opts: CheckOptions) => {
        const parsed = await loadConf(opts.conf);
        const shown = describeConf(parsed);
        if (opts.json) {
          ctx.out(JSON.stringify(shown));
          return 0;
        }
        ctx.out(`${parsed.file}: OK`);
        ctx.out(`  shared drive  ${parsed.sharedDir}`);
        ctx.out('  servers');
        for (const s of parsed.servers) {
          ctx.out(`    ${s.name.padEnd(16)} ${s.host}  cluster ${s.clusterPort}  http ${s.httpPort}`);
        }
        for (const [key, value] of Object.entries(shown)) {
          if (['file', 'sharedDir', 'servers'].includes(key)) continue;
          ctx.out(`  ${key.padEnd(18)} ${String(value)}`);
        }
        return 0;
      }),
    );
}

/** Writes with `wx` unless forced, so an existing conf (and its secret) is never replaced by accident. */
async function writeExclusive(file: string, text: string, flag: 'w' | 'wx'): Promise<void> {
  try {
    await writeFile(file, text, { flag, mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DarkroomError('E_USAGE', { detail: `${file} exists already; pass --force to overwrite it` });
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new DarkroomError('E_USAGE', { detail: `cannot write ${file}: ${reason}` }, { cause: err });
  }
}
