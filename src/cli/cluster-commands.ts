// `darkroom cluster status --conf FILE [--shared DIR] [--json]`: the state of every server of the
// conf, from any server (no instance needs to run there): the log, the alive files on the drive
// and a probe of each cluster port. Exit 0 when healthy, 1 with warnings (docs/cluster.md).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { gatherClusterStatus } from '../cluster/cluster-status-gather.js';
import type { ClusterStatus } from '../cluster/cluster-status.js';
import { loadConf } from '../cluster/conf.js';
import { EventLog } from '../events/event-log.js';
import { createLogger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import { action, type CliContext } from './cli-context.js';

interface StatusOptions {
  conf: string;
  shared?: string;
  json?: boolean;
  watchMs?: string;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
}

/** The human form of the status: a summary line, one row per server, the warnings. */
export function formatClusterStatus(s: ClusterStatus): string[] {
  const c = s.coordinator;
  const out = [
    `term ${s.term}, coordinator ${c === null ? 'none' : `${c.instanceId} (inc ${c.inc})`}; log seq ${s.log.seq}; observed from ${s.observedFrom}`,
  ];
  const rows = [['NAME', 'STATE', 'INC', 'COORD', 'TERM', 'JOBS', 'LOAD', 'HEARTBEAT', 'LAG', 'CONF']];
  for (const i of s.instances) {
    rows.push([
      i.name,
      i.state,
      i.inc === null ? '-' : String(i.inc),
      i.coordinator ? 'yes' : '',
      i.term === null ? '-' : String(i.term),
      i.slots === null ? '-' : `${i.running ?? '-'}/${i.slots}`,
      i.load === null ? '-' : i.load.toFixed(2),
      i.heartbeatAgeMs === null ? '-' : `${i.heartbeatAgeMs} ms`,
      i.logLag === null ? '-' : String(i.logLag),
      i.confHash === null ? '-' : i.confHash.slice(0, 12),
    ]);
  }
  out.push(...table(rows));
  if (s.warnings.length === 0) out.push('healthy');
  else out.push('warnings:', ...s.warnings.map((w) => `  - ${w.message}`));
  return out;
}

export function registerClusterCommands(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('the cluster as a whole');
  cluster
    .command('status')
    .description(
      'state of every server of the conf (from any server): running, stopped, lost, storage stalled, unreachable …, with warnings naming the fix; exit 1 with warnings',
    )
    .requiredOption('--conf <file>', 'the cluster conf file (ClaroServers.conf)')
    .option('--shared <dir>', 'where this server mounts the shared drive (default: the conf’s shared)')
    .option('--json', 'print the status as JSON (shape: docs/cluster.md)')
    .option('--watch-ms <ms>', 'how long to watch the alive files change (default: 2 heartbeats + 200 ms)')
    .action(
      action(ctx, async (opts: StatusOptions) => {
        const loaded = await loadConf(opts.conf);
        const conf = opts.shared === undefined ? loaded : { ...loaded, sharedDir: resolve(opts.shared) };
        const status = await gatherClusterStatus(conf, {
          ...(opts.watchMs !== undefined ? { watchMs: Number(opts.watchMs) } : {}),
          projection: async () => {
            const log = await EventLog.open<ProjectionState>({
              sharedDir: conf.sharedDir,
              writer: { by: 'cli:cluster-status', inc: 0 },
              projector: darkroomProjector,
              logger: createLogger({ level: 'warn', pretty: false }),
              snapshotEvery: 0,
            });
            try {
              return { cluster: log.state.cluster, seq: log.seq };
            } finally {
              await log.stop();
            }
          },
        });
        if (opts.json) ctx.out(JSON.stringify(status, null, 2));
        else for (const line of formatClusterStatus(status)) ctx.out(line);
        return status.healthy ? 0 : 1;
      }),
    );
}
