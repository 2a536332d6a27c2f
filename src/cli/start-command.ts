// `darkroom start --conf FILE [--id ID]`: runs one instance in the foreground until SIGTERM or
// SIGINT (drain), a second signal forces the drain to end at once.
import type { Command } from 'commander';
import { loadConf, resolveSelf } from '../cluster/conf.js';
import { createLogger } from '../logger.js';
import { action, type CliContext } from './cli-context.js';

interface StartOptions {
  conf: string;
  id?: string;
  logLevel?: string;
}

/** Registers SIGTERM/SIGINT handlers; returns their undo. */
function onSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('run this server’s darkroom instance in the foreground (SIGTERM or Ctrl-C drains and stops)')
    .requiredOption('--conf <file>', 'the cluster conf file (ClaroServers.conf)')
    .option('--id <id>', 'the server entry to run as (default: the entry matching this host)')
    .option('--log-level <level>', 'pino log level (default: $DARKROOM_LOG_LEVEL or info)')
    .action(
      action(ctx, async (opts: StartOptions) => {
        const conf = await loadConf(opts.conf);
        const self = resolveSelf(conf, opts.id);
        // Loaded here, not at the top: the rest of the CLI does not pay for the imaging stack.
        const { Instance } = await import('../instance/instance.js');
        const logger = createLogger(opts.logLevel !== undefined ? { level: opts.logLevel } : {});
        const instance = new Instance({ conf, self, logger });
        let signals = 0;
        const undo = onSignals((signal) => {
          signals++;
          logger.info(
            { signal },
            signals === 1 ? 'draining: finishing or releasing jobs' : 'forcing the stop',
          );
          void instance.stop({ reason: `${signal} received`, force: signals > 1 });
        });
        try {
          await instance.start();
          ctx.err(
            `darkroom ${self.name}: running (inc ${instance.status().inc}); SIGTERM or Ctrl-C stops it`,
          );
          await instance.whenStopped();
        } catch (err) {
          await instance.stop({ reason: 'start failed', force: true });
          throw err;
        } finally {
          undo();
        }
        // A stopped instance leaves no handles; if the process lingers anyway, say what holds it.
        setTimeout(() => {
          logger.warn(
            { resources: process.getActiveResourcesInfo() },
            'stopped, but handles keep the process alive',
          );
        }, 5000).unref();
        const faults = instance.status().faults;
        ctx.err(`darkroom ${self.name}: stopped${faults > 0 ? ` (${faults} faults logged)` : ''}`);
        return 0;
      }),
    );
}
