// `darkroom user add NAME --role ROLE` (password from stdin) and `darkroom token create --user
// NAME` (prints the token once): users and API tokens as events through the log, decided by
// src/users like the HTTP API's.
import type { Command } from 'commander';
import { DarkroomError } from '../errors/darkroom-error.js';
import { hashPassword, newToken } from '../users/credentials.js';
import { decideUserChange, roles, type Role } from '../users/decide-user-change.js';
import { withAdminLog } from './channel-commands.js';
import { action, type CliContext } from './cli-context.js';
import { withSharedDirOptions, type SharedDirOptions } from './shared-dir-option.js';

interface UserAddOptions extends SharedDirOptions {
  role: string;
  json?: boolean;
}
interface TokenOptions extends SharedDirOptions {
  user: string;
  label?: string;
  json?: boolean;
}

/** The first line of stdin (the password), without its line end. */
async function readPassword(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (first.length < 8 || first.length > 200) {
    throw new DarkroomError('E_USAGE', {
      detail:
        'give the password (8-200 characters) on stdin, e.g. `echo "$PASSWORD" | darkroom user add NAME --role admin`',
    });
  }
  return first;
}

function parseRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) {
    throw new DarkroomError('E_USAGE', { detail: `--role ${value}: must be one of ${roles.join(', ')}` });
  }
  return value as Role;
}

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program
    .command('user')
    .description('users of the web UI and HTTP API (roles admin, operator, viewer)');
  withSharedDirOptions(
    user
      .command('add <name>')
      .description('add a user, or change its role and password if it exists (password: first line of stdin)')
      .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
      .option('--json', 'machine-readable output'),
  ).action(
    action(ctx, async (name: string, opts: UserAddOptions) => {
      const role = parseRole(opts.role);
      const passwordHash = await hashPassword(await readPassword());
      const result = await withAdminLog(opts, async (log) => {
        const existed = log.state.config.users.has(name);
        const d = decideUserChange(log.state, { kind: 'put', user: name, role, passwordHash });
        const records = await log.append(d.events);
        return { existed, seq: records.at(-1)?.seq };
      });
      if (opts.json === true)
        ctx.out(JSON.stringify({ user: name, role, changed: result.existed, seq: result.seq }));
      else ctx.out(`${result.existed ? 'changed' : 'added'} user ${name} (role ${role})`);
      return 0;
    }),
  );
}

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('API tokens (Authorization: Bearer TOKEN)');
  withSharedDirOptions(
    token
      .command('create')
      .description('create an API token for a user; the token is printed once and stored only hashed')
      .requiredOption('--user <name>', 'the user the token acts as')
      .option('--label <text>', 'what the token is for', '')
      .option('--json', 'machine-readable output'),
  ).action(
    action(ctx, async (opts: TokenOptions) => {
      const t = newToken();
      await withAdminLog(opts, async (log) => {
        const d = decideUserChange(log.state, {
          kind: 'createToken',
          user: opts.user,
          tokenId: t.tokenId,
          hash: t.hash,
          label: opts.label ?? '',
        });
        await log.append(d.events);
      });
      if (opts.json === true) ctx.out(JSON.stringify({ id: t.tokenId, user: opts.user, token: t.token }));
      else ctx.out(t.token);
      return 0;
    }),
  );
}
