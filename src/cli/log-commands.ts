// `darkroom log init|verify|tail|show|stats|note|pack|snapshot`: audit tools over the shared event log.
// Every command takes --shared DIR or --conf FILE; human output by default, --json for scripts.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DarkroomError } from '../errors/darkroom-error.js';
import { describeTrailing } from '../events/batch-file.js';
import { EventLog } from '../events/event-log.js';
import { eventSchemas, isEventType } from '../events/event-types.js';
import { initLog } from '../events/log-init.js';
import { LogCursor, type ReadEntry } from '../events/log-cursor.js';
import type { LogRecord } from '../events/log-record.js';
import type { SnapshotCheck } from '../events/snapshot-check.js';
import { createLogger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';
import { action, type CliContext } from './cli-context.js';
import { resolveSharedDrive, withSharedDirOptions, type SharedDirOptions } from './shared-dir-option.js';

// Modules only some commands need are loaded by those commands (a `log note` loads neither).
const logReader = (): Promise<typeof import('../events/log-reader.js')> => import('../events/log-reader.js');
const logStatsModule = (): Promise<typeof import('../events/log-stats.js')> =>
  import('../events/log-stats.js');

interface JsonOption {
  json?: boolean;
}

interface TailOptions extends SharedDirOptions, JsonOption {
  follow?: boolean;
  type?: string;
  job?: string;
  lines: string;
  pollMs: string;
}

interface ShowOptions extends SharedDirOptions, JsonOption {
  from: string;
  to?: string;
}

interface NoteOptions extends SharedDirOptions, JsonOption {
  author?: string;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new DarkroomError('E_USAGE', { detail: `${name} must be a whole number, got "${value}"` });
  return n;
}

/** One line per record: seq, time, writer, type and the data (cut at 160 characters). */
export function formatRecord(r: LogRecord): string {
  const data = JSON.stringify(r.data);
  const shown = data.length > 160 ? `${data.slice(0, 157)}...` : data;
  return `${String(r.seq).padStart(8)}  ${r.ts}  ${r.by}${r.inc > 0 ? `#${r.inc}` : ''}  t${r.term}  ${r.type}  ${shown}`;
}

function matches(r: LogRecord, opts: TailOptions): boolean {
  if (opts.type !== undefined && r.type !== opts.type) return false;
  if (opts.job !== undefined && (r.data as { jobId?: unknown }).jobId !== opts.job) return false;
  return true;
}

function currentUser(): string {
  return process.env['USER'] ?? process.env['USERNAME'] ?? userInfo().username;
}

/** Registers SIGINT/SIGTERM handlers for `tail -f`; returns their undo. */
function onStopSignals(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function openForCli(
  opts: SharedDirOptions,
  by: string,
): Promise<EventLog<ReturnType<typeof darkroomProjector.initial>>> {
  const drive = await resolveSharedDrive(opts);
  return EventLog.open({
    sharedDir: drive.sharedDir,
    writer: { by, inc: 0 },
    projector: darkroomProjector,
    logger: createLogger({ level: 'warn', pretty: false }),
    snapshotEvery: 0,
    ...(drive.lock ? { lock: drive.lock } : {}),
  });
}

/**
 * Whether a snapshot check is no cause for alarm: usable (and equal to the replay where compared),
 * or merely older than snapshot digests (E_SNAPSHOT_UNDIGESTED: ignored, replaced by the next one).
 */
function snapshotAcceptable(c: SnapshotCheck): boolean {
  if (c.replay === 'differs') return false;
  return c.status === 'ok' || (c.code === 'E_SNAPSHOT_UNDIGESTED' && c.replay !== 'not compared');
}

/** One line per snapshot: OK (and equal to the replay) or IGNORED with the code and why. */
export function describeSnapshotCheck(c: SnapshotCheck): string {
  const head = `snapshot seq ${c.seq} term ${c.term} (${c.file})`;
  const replay =
    c.replay === undefined
      ? ''
      : c.replay === 'equal'
        ? `; its state equals a replay of the log to seq ${c.seq}`
        : c.replay === 'differs'
          ? `; its state DIFFERS from a replay of the log to seq ${c.seq} at ${c.difference!.path}: snapshot ${c.difference!.snapshot}, replay ${c.difference!.replay}`
          : `; not compared with a replay: ${c.notCompared ?? '?'}`;
  return c.status === 'ok'
    ? `${head}: OK, digest verified${replay}`
    : `${head}: IGNORED, ${c.code ?? '?'}: ${c.message ?? '?'}${replay}`;
}

export function registerLogCommands(program: Command, ctx: CliContext): void {
  const log = program.command('log').description('the shared event log: audit, verify, maintain');
  const print = (json: boolean | undefined, r: LogRecord): void =>
    ctx.out(json ? JSON.stringify(r) : formatRecord(r));

  withSharedDirOptions(log.command('init'))
    .description(
      'create a new, empty log on the shared drive (a new cluster); an existing log is left as it is',
    )
    .option('--json', 'print the result as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const { created } = await initLog(sharedDir);
        if (opts.json) ctx.out(JSON.stringify({ sharedDir, created }));
        else
          ctx.out(
            created
              ? `created a new, empty log in ${join(sharedDir, 'log')}`
              : `${join(sharedDir, 'log')} already holds a log: left as it is`,
          );
        return 0;
      }),
    );

  withSharedDirOptions(log.command('verify'))
    .description(
      'check seq contiguity, the hash chain, every record schema, terms and elections, and every snapshot; exit 1 on a break',
    )
    .option('--snapshots', "also rebuild the state by replay and compare it with each snapshot's state")
    .option('--json', 'print the result as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption & { snapshots?: boolean }) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        let lastReport = performance.now();
        const result = await (
          await logReader()
        ).verifyLog(sharedDir, {
          onProgress: (p) => {
            if (performance.now() - lastReport < 1000) return;
            lastReport = performance.now();
            ctx.err(`verify: up to seq ${p.seq} (${(p.bytes / 1e6).toFixed(1)} MB) ...`);
          },
        });
        const { checkSnapshots } = await import('../events/snapshot-check.js');
        const snapshots = await checkSnapshots(sharedDir, darkroomProjector, {
          replay: opts.snapshots === true,
        });
        const snapshotsOk = snapshots.every(snapshotAcceptable);
        if (opts.json) {
          ctx.out(JSON.stringify({ ...result, snapshots, snapshotsOk }));
          return result.ok && snapshotsOk ? 0 : 1;
        }
        const e = result.error;
        if (e === undefined) {
          ctx.out(`records OK: seq 1..${result.lastSeq} contiguous, hash chain verified, every record valid`);
        } else {
          ctx.err(`log BROKEN at seq ${e.seq}: ${e.file} byte ${e.offset} (line ${e.line}): ${e.detail}`);
          ctx.err(
            `  last good seq ${result.lastSeq}; do not edit the log — restore that file from backup or ask support`,
          );
        }
        for (const t of result.trailing ?? []) {
          ctx.err(
            `log DAMAGED: ${describeTrailing(t.file, t)}. \`darkroom log pack\` moves the file to log/torn/ once a newer batch exists`,
          );
        }
        if (result.incomplete) {
          ctx.out(
            `note: ${result.incomplete.file} at the tip has no trailer yet from byte ${result.incomplete.offset} (being written, or torn: the next append moves it aside)`,
          );
        }
        for (const c of snapshots) {
          if (snapshotAcceptable(c)) ctx.out(describeSnapshotCheck(c));
          else ctx.err(describeSnapshotCheck(c));
        }
        if (result.ok) ctx.out('log OK');
        if (snapshots.length > 0) {
          const ok = snapshots.filter((c) => c.status === 'ok').length;
          const summary = `snapshots: ${ok} of ${snapshots.length} usable${opts.snapshots ? `, ${snapshots.filter((c) => c.replay === 'equal').length} equal to a replay` : ''}`;
          if (snapshotsOk) ctx.out(`${summary}; snapshots OK`);
          else
            ctx.err(`${summary}; snapshots DAMAGED (ignored by every instance; the log itself is the truth)`);
        }
        return result.ok && snapshotsOk ? 0 : 1;
      }),
    );

  withSharedDirOptions(log.command('tail'))
    .description('print the last records (and follow with -f)')
    .option('-f, --follow', 'keep printing new records until Ctrl-C')
    .option('--type <type>', 'only records of this event type')
    .option('--job <id>', 'only records about this job')
    .option('-n, --lines <n>', 'how many records to print first', '20')
    .option('--poll-ms <ms>', 'how often -f looks for new batches', '500')
    .option('--json', 'one JSON record per line')
    .action(
      action(ctx, async (opts: TailOptions) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const want = positiveInt('--lines', opts.lines);
        if (opts.type !== undefined && !isEventType(opts.type)) {
          throw new DarkroomError('E_USAGE', {
            detail: `--type ${opts.type} is not an event type; known: ${Object.keys(eventSchemas).join(', ')}`,
          });
        }
        const filtered = opts.type !== undefined || opts.job !== undefined;
        const starts = await (await logStatsModule()).fileStarts(sharedDir);
        // Unfiltered: start a few files from the end; filtered: the whole log must be read.
        let from = 1;
        if (!filtered && starts.length > 0) {
          const lastStart = starts[starts.length - 1]!;
          from = starts.filter((s) => s <= Math.max(1, lastStart - want)).pop() ?? 1;
        }
        const shown: ReadEntry[] = [];
        let next = from;
        let prev: string | undefined;
        const { readRecords } = await logReader();
        for await (const e of readRecords(sharedDir, { from })) {
          next = e.record.seq + 1;
          prev = e.record.hash;
          if (!matches(e.record, opts)) continue;
          shown.push(e);
          if (shown.length > want) shown.shift();
        }
        for (const e of shown) print(opts.json, e.record);
        if (!opts.follow) return 0;
        const cursor = new LogCursor(join(sharedDir, 'log'), next, prev);
        const pollMs = positiveInt('--poll-ms', opts.pollMs);
        let stop: () => void = () => undefined;
        const stopped = new Promise<void>((r) => (stop = r));
        const undo = onStopSignals(() => stop());
        try {
          for (;;) {
            await cursor.refreshSegments();
            for (;;) {
              const step = await cursor.readNext();
              if (step.kind !== 'records') break;
              for (const e of step.entries) if (matches(e.record, opts)) print(opts.json, e.record);
            }
            let timer: NodeJS.Timeout | undefined;
            const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), pollMs)));
            const why = await Promise.race([tick, stopped.then(() => 'stop' as const)]);
            clearTimeout(timer);
            if (why === 'stop') return 0;
          }
        } finally {
          undo();
        }
      }),
    );

  withSharedDirOptions(log.command('show'))
    .description('print records from seq N (to seq M)')
    .requiredOption('--from <n>', 'first seq')
    .option('--to <m>', 'last seq (default: the tip)')
    .option('--json', 'one JSON record per line')
    .action(
      action(ctx, async (opts: ShowOptions) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const from = positiveInt('--from', opts.from);
        const to = opts.to === undefined ? undefined : positiveInt('--to', opts.to);
        let n = 0;
        const { readRecords } = await logReader();
        for await (const e of readRecords(sharedDir, { from, ...(to !== undefined ? { to } : {}) })) {
          print(opts.json, e.record);
          n++;
        }
        if (n === 0 && !opts.json)
          ctx.err(`no records from seq ${from}${to !== undefined ? ` to ${to}` : ''}`);
        return 0;
      }),
    );

  withSharedDirOptions(log.command('stats'))
    .description('events by type, batch and segment files, bytes, last seq, snapshots')
    .option('--json', 'print as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const s = await (await logStatsModule()).logStats(sharedDir);
        if (opts.json) {
          ctx.out(JSON.stringify(s));
          return 0;
        }
        ctx.out(`last seq   ${s.lastSeq}`);
        ctx.out(
          `files      ${s.batches} batches, ${s.segments} segments, ${(s.bytes / 1e6).toFixed(2)} MB of records`,
        );
        if (s.incomplete) ctx.out(`tip        ${s.incomplete} has no trailer yet (being written, or torn)`);
        if (s.torn > 0) ctx.out(`torn       ${s.torn} torn batches moved aside (log/torn/)`);
        ctx.out(
          `snapshots  ${s.snapshots.length === 0 ? 'none' : s.snapshots.map((x) => `seq ${x.seq} term ${x.term}`).join(', ')}`,
        );
        ctx.out('events by type:');
        for (const [type, n] of Object.entries(s.byType).sort((a, b) => b[1] - a[1]))
          ctx.out(`  ${type.padEnd(24)} ${n}`);
        return 0;
      }),
    );

  withSharedDirOptions(log.command('note'))
    .description('append an operator note (who, text) to the log')
    .argument('<text>', 'the note')
    .option('--author <name>', 'who writes it (default: $USER)')
    .option('--json', 'print the written record as JSON')
    .action(
      action(ctx, async (text: string, opts: NoteOptions) => {
        const author = opts.author ?? currentUser();
        const log = await openForCli(opts, `cli:${author}`);
        try {
          const [record] = await log.append([{ type: 'OperatorNote', data: { author, text } }]);
          if (opts.json) ctx.out(JSON.stringify(record));
          else ctx.out(`note written at seq ${record!.seq}`);
        } finally {
          await log.stop();
        }
        return 0;
      }),
    );

  withSharedDirOptions(log.command('pack'))
    .description('pack complete batch files into segment files (the last batch stays)')
    .option('--json', 'print the result as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption) => {
        const { sharedDir } = await resolveSharedDrive(opts);
        const { packLog } = await import('../events/segment-pack.js');
        const r = await packLog(sharedDir);
        if (opts.json) ctx.out(JSON.stringify(r));
        else if (r.segments.length === 0) ctx.out('nothing to pack');
        else
          ctx.out(
            `packed ${r.records} records into ${r.segments.join(', ')}; ${r.batchesRemoved} batch files removed`,
          );
        return 0;
      }),
    );

  withSharedDirOptions(log.command('snapshot'))
    .description('write a snapshot of the projections at the current tip')
    .option('--json', 'print the result as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption) => {
        const log = await openForCli(opts, `cli:${currentUser()}`);
        try {
          const file = await log.writeSnapshot();
          if (opts.json) ctx.out(JSON.stringify({ file: file ?? null, seq: log.seq }));
          else
            ctx.out(
              file === undefined
                ? 'the log is empty: no snapshot'
                : `snapshot ${file} written (seq ${log.seq})`,
            );
        } finally {
          await log.stop();
        }
        return 0;
      }),
    );
}
