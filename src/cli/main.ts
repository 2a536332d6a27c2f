// The `darkroom` command: one commander program, one file per command group. A group's module
// (and the libraries behind it: sharp, zod, pino …) is loaded only when its command runs, so
// `darkroom --version` or `darkroom log note` does not pay for the image pipeline.
import { Command, CommanderError } from 'commander';
import type { CliContext, RegisterGroup } from './cli-context.js';
import { VERSION } from '../version.js';

/** Each top-level command and the module that registers it, in the order of `--help`. */
export const commandGroups: readonly {
  readonly name: string;
  readonly load: () => Promise<RegisterGroup>;
}[] = [
  { name: 'conf', load: async () => (await import('./conf-commands.js')).registerConfCommands },
  { name: 'channel', load: async () => (await import('./channel-commands.js')).registerChannelCommands },
  { name: 'jobs', load: async () => (await import('./jobs-commands.js')).registerJobsCommands },
  { name: 'log', load: async () => (await import('./log-commands.js')).registerLogCommands },
  { name: 'process', load: async () => (await import('./process-command.js')).registerProcessCommand },
  { name: 'start', load: async () => (await import('./start-command.js')).registerStartCommand },
  { name: 'user', load: async () => (await import('./user-commands.js')).registerUserCommands },
  { name: 'token', load: async () => (await import('./user-commands.js')).registerTokenCommands },
  { name: 'submit', load: async () => (await import('./submit-command.js')).registerSubmitCommand },
  { name: 'cluster', load: async () => (await import('./cluster-commands.js')).registerClusterCommands },
  { name: 'doctor', load: async () => (await import('./doctor-command.js')).registerDoctorCommand },
];

/**
 * The groups a command line needs: the one its first word names; none for bare options such as
 * `--version`; all for `--help`, `help`, no arguments or an unknown word (so commander can list
 * the commands or suggest one).
 */
export function groupsFor(args: readonly string[]): typeof commandGroups {
  const word = args.find((a) => !a.startsWith('-'));
  if (word === undefined) {
    const help = args.length === 0 || args.some((a) => a === '-h' || a === '--help');
    return help ? commandGroups : [];
  }
  const named = commandGroups.filter((g) => g.name === word);
  return named.length > 0 ? named : commandGroups;
}

export async function main(argv: string[], io: Partial<CliContext> = {}): Promise<number> {
  let exit = 0;
  const ctx: CliContext = {
    out: io.out ?? ((t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`)),
    err: io.err ?? ((t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`)),
    setExit: (code) => {
      exit = code;
    },
  };
  const program = new Command('darkroom')
    .description('darkroom: automatic image enhancement for publishers, as a cluster over one event log')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });
  const groups = groupsFor(argv.slice(2));
  for (const register of await Promise.all(groups.map((g) => g.load()))) register(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exit;
}
