// The `darkroom` command: one commander program, one file per command group.
import { Command, CommanderError } from 'commander';
import type { CliContext, RegisterGroup } from './cli-context.js';
import { VERSION } from '../version.js';
import { registerChannelCommands } from './channel-commands.js';
import { registerConfCommands } from './conf-commands.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerJobsCommands } from './jobs-commands.js';
import { registerLogCommands } from './log-commands.js';
import { registerProcessCommand } from './process-command.js';
import { registerStartCommand } from './start-command.js';

const groups: RegisterGroup[] = [
  registerConfCommands,
  registerChannelCommands,
  registerJobsCommands,
  registerLogCommands,
  registerProcessCommand,
  registerStartCommand,
  registerDoctorCommand,
];

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
  for (const register of groups) register(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exit;
}
