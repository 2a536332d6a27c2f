// `darkroom start --conf FILE [--id ID] [--shared DIR]`: runs one instance in the foreground until
// SIGTERM or SIGINT (drain), a second signal forces the drain to end at once. `--shared` is where
// this server mounts the shared drive (each server may mount it at its own path).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConf, resolveSelf, type ClusterConf } from '../cluster/conf.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { createLogger } from '../logger.js';
import { action, type CliContext } from './cli-context.js';

interface StartOptions {
  conf: string;
  id?: string;
  shared?: string;
  logLevel?: string;
}

/**
 * The conf with this server's own path of the shared drive. The conf hash stays the file's: the
 * same conf on every server, whatever each one's mount path.
 */
export function withSharedDir(conf: ClusterConf, shared: string | undefined): ClusterConf {
  if (shared === undefined) return conf;
  return Object.freeze({ ...conf, sharedDir: resolve(shared) });
}

/** `--shared DIR` must name an existing folder: a typo must not start a second, empty cluster. */
async function checkSharedDir(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: unknown) => {
    throw new DarkroomError(
      'E_FOLDER_UNREACHABLE',
      {
        dir,
        reason: `${(err as { code?: string }).code ?? String(err)} (the --shared folder of this server)`,
      },
      { cause: err },
    );
  });
  if (!st.isDirectory()) {
    throw new DarkroomError('E_FOLDER_UNREACHABLE', { dir, reason: 'it is a file, not a folder (--shared)' });
  }
}

/** Registers SIGTERM/SIGINT handlers; returns their undo. */
function onSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/**
 * The last net under the instance's loops: a rejection nobody handled is a fault (logged with its
 * code, the process alive), never an exit; each loop classifies its own errors first (STYLE.md).
 * The fault harness saw a lost append lock (E_LOG_LOCK_COMPROMISED) end an instance this way.
 * Returns its undo.
 */
function onUnhandled(logger: { error: (o: object, msg: string) => void }): () => void {
  const handler = (reason: unknown): void => {
    const e = reason as { code?: unknown; message?: unknown; stack?: unknown };
    logger.error(
      { where: 'unhandled rejection', code: e?.code, err: String(e?.message ?? reason), stack: e?.stack },
      'fault',
    );
  };
  process.on('unhandledRejection', handler);
  return () => {
    process.off('unhandledRejection', handler);
  };
}

export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('run this server’s darkroom instance in the foreground (SIGTERM or Ctrl-C drains and stops)')
    .requiredOption('--conf <file>', 'the cluster conf file (ClaroServers.conf)')
    .option('--id <id>', 'the server entry to run as (default: the entry matching this host)')
    .option(
      '--shared <dir>',
      'where this server mounts the shared drive (overrides the conf’s shared for this instance)',
    )
    .option('--log-level <level>', 'pino log level (default: $DARKROOM_LOG_LEVEL or info)')
    .action(
      action(ctx, async (opts: StartOptions) => {
        const conf = withSharedDir(await loadConf(opts.conf), opts.shared);
        if (opts.shared !== undefined) await checkSharedDir(conf.sharedDir);
        const self = resolveSelf(conf, opts.id);
        // Loaded here, not at the top: the rest of the CLI does not pay for the imaging stack.
        const { Instance } = await import('../instance/instance.js');
        const logger = createLogger(opts.logLevel !== undefined ? { level: opts.logLevel } : {});
        const { httpPart } = await import('../http/http-part.js');
        let http: ReturnType<typeof httpPart> | undefined;
        // HTTP is a part of the instance, started after the log (it serves the projection) and the
        // mesh, before the instance joins; it stops after InstanceStopped, and from the first
        // signal on it answers 503 E_INSTANCE_STOPPING.
        const instance = new Instance({
          conf,
          self,
          logger,
          partsBeforeJoin: [
            (i) => {
              const h = httpPart({ conf, self, log: () => i.log, logger });
              http = h;
              return {
                name: 'http',
                start: async () => h.start(),
                stop: async () => h.stop(),
                beginStop: () => h.beginStop(),
              };
            },
          ],
        });
        const undoUnhandled = onUnhandled(logger);
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
          // A signal during start is honoured: start resolves without running.
          if (instance.status().status === 'running') {
            ctx.err(
              `darkroom ${self.name}: running (inc ${instance.status().inc}), HTTP on port ${http?.server()?.status().port ?? '-'}; SIGTERM or Ctrl-C stops it`,
            );
          }
          await instance.whenStopped();
        } catch (err) {
          await instance.stop({ reason: 'start failed', force: true });
          throw err;
        } finally {
          undo();
          undoUnhandled();
        }
        // Ended by itself: another process runs with this id (E_INSTANCE_DUPLICATE).
        const failure = instance.failure();
        if (failure !== undefined) throw failure;
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
