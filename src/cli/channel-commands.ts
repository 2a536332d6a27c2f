// `darkroom channel list|show|add|set|rm|pause|resume|history|export|import`: channel
// administration as events through the log (decided by src/channels, appended with revision
// conditions). Every command takes --shared DIR or --conf FILE; --json for scripts.
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  channelExportSchema,
  exportChannels,
  parseChannelExport,
  planImport,
} from '../channels/channel-export.js';
import { channelHistory, logRecords, parseLogPoint, stateAt } from '../channels/channel-history.js';
import { channelFolders, parseChannelSettings } from '../channels/channel-settings.js';
import { channelDetail, channelRow, channelTable } from '../channels/channel-table.js';
import {
  channelsInGroup,
  decideChannelChange,
  decideChannelChanges,
  type ChannelCommand,
} from '../channels/decide-channel-change.js';
import { appendChannelDecision } from '../channels/channel-admin.js';
import { readJsonFile, settingsFromFlags, type SettingsFlags } from '../channels/settings-input.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { EventLog } from '../events/event-log.js';
import { requireLog } from '../events/log-init.js';
import type { LogRecord } from '../events/log-record.js';
import { createLogger } from '../logger.js';
import { darkroomProjector } from '../projections/projector.js';

import type { ProjectionState } from '../projections/state.js';
import { action, type CliContext } from './cli-context.js';
import {
  resolveSharedDrive,
  withSharedDirOptions,
  type SharedDirOptions,
  type SharedDrive,
} from './shared-dir-option.js';

interface JsonOption {
  json?: boolean;
}

/** The person running the CLI: $USER, or the OS account. */
export function cliUser(): string {
  return process.env['USER'] ?? process.env['USERNAME'] ?? userInfo().username;
}

/**
 * The shared drive of `opts`, refused unless it holds a log (a typo or a share that is not
 * mounted must not create a new, empty log, nor read as "no channels"): E_LOG_UNREACHABLE.
 */
export async function existingSharedDrive(opts: SharedDirOptions): Promise<SharedDrive> {
  const drive = await resolveSharedDrive(opts);
  await requireLog(drive.sharedDir);
  return drive;
}

/** Opens the log for an admin command, writing as `cli:<user>`. */
export async function openAdminLog(opts: SharedDirOptions): Promise<EventLog<ProjectionState>> {
  const drive = await existingSharedDrive(opts);
  return EventLog.open({
    sharedDir: drive.sharedDir,
    writer: { by: `cli:${cliUser()}`, inc: 0 },
    projector: darkroomProjector,
    logger: createLogger({ level: 'warn', pretty: false }),
    snapshotEvery: 0,
    ...(drive.lock ? { lock: drive.lock } : {}),
  });
}

/** Runs `body` with an open admin log and stops the log afterwards, whatever happens. */
export async function withAdminLog<T>(
  opts: SharedDirOptions,
  body: (log: EventLog<ProjectionState>) => Promise<T>,
): Promise<T> {
  const log = await openAdminLog(opts);
  try {
    return await body(log);
  } finally {
    await log.stop();
  }
}

function withSettingsFlags(cmd: Command): Command {
  return cmd
    .option('--file <settings.json>', 'settings (add) or a patch (set) as a JSON file')
    .option('--input <dir>', 'input hotfolder (inputDir)')
    .option('--output <dir>', 'output folder (outputDir)')
    .option('--bad <dir>', 'bad folder (badDir)')
    .option('--originals <dir>', 'originals folder (originalsDir)')
    .option('--folder <dir>', 'the folder a purging channel purges')
    .option('--group <name>', 'channel group')
    .option('--priority <0-100>', 'priority: higher-priority channels go first')
    .option(
      '--set <key.path=value>',
      'one setting, value as JSON or text (repeatable): --set pipeline.output.jpegQuality=85',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    );
}

function revisionOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new DarkroomError('E_USAGE', { detail: `--revision must be a revision number, got "${value}"` });
  return n;
}

/** Creates the folders of a new channel; returns what could not be created (warnings, not errors). */
async function makeChannelFolders(sharedDir: string, settings: unknown, name: string): Promise<string[]> {
  const problems: string[] = [];
  for (const dir of Object.values(channelFolders(sharedDir, parseChannelSettings(settings, name)))) {
    await mkdir(dir, { recursive: true }).catch((err: unknown) =>
      problems.push(`${dir}: ${(err as Error).message}`),
    );
  }
  return problems;
}

function printWritten(
  ctx: CliContext,
  json: boolean | undefined,
  records: readonly LogRecord[],
  human: string,
): void {
  if (json) ctx.out(JSON.stringify({ records }));
  else if (records.length === 0) ctx.out('no change');
  else ctx.out(`${human} (seq ${records.map((r) => r.seq).join(', ')})`);
}

export function registerChannelCommands(program: Command, ctx: CliContext): void {
  const channel = program
    .command('channel')
    .description('channels: list, show, add, change, pause, history, export/import');
  registerReadCommands(channel, ctx);
  registerWriteCommands(channel, ctx);
  registerTransferCommands(channel, ctx);
}

function registerReadCommands(channel: Command, ctx: CliContext): void {
  withSharedDirOptions(channel.command('list'))
    .description('channels with state (active, paused, standby and why), type, folders, revision, group')
    .option('--group <name>', 'only the channels of this group')
    .option('--json', 'print as JSON')
    .action(
      action(ctx, async (opts: SharedDirOptions & JsonOption & { group?: string }) => {
        const state = await withAdminLog(opts, async (log) => log.state);
        const rows = [...state.config.channels.values()]
          .filter((ch) => opts.group === undefined || ch.settings['group'] === opts.group)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map(channelRow);
        if (opts.json) ctx.out(JSON.stringify({ seq: state.meta.seq, channels: rows }));
        else if (rows.length === 0)
          ctx.out(opts.group === undefined ? 'no channels' : `no channels in group ${opts.group}`);
        else for (const line of channelTable(rows)) ctx.out(line);
        return 0;
      }),
    );

  withSharedDirOptions(channel.command('show'))
    .description('one channel: state, revision, who changed it last, folders, settings')
    .argument('<name>', 'channel name')
    .option('--at <time|seq>', 'the channel as it was at a log seq or a time (ISO 8601)')
    .option('--json', 'print as JSON')
    .action(
      action(ctx, async (name: string, opts: SharedDirOptions & JsonOption & { at?: string }) => {
        const { sharedDir } = await existingSharedDrive(opts);
        let state: ProjectionState;
        if (opts.at !== undefined) {
          const point = parseLogPoint(opts.at);
          state = await stateAt(logRecords(sharedDir), point);
        } else state = await withAdminLog(opts, async (log) => log.state);
        const view = state.config.channels.get(name);
        if (view === undefined) {
          if (opts.at !== undefined) {
            throw new DarkroomError('E_CHANNEL_UNKNOWN', {
              name: `${name} at ${opts.at} (seq ${state.meta.seq})`,
            });
          }
          throw new DarkroomError('E_CHANNEL_UNKNOWN', { name });
        }
        const folders = channelFolders(sharedDir, parseChannelSettings(view.settings, name));
        if (opts.json) ctx.out(JSON.stringify({ seq: state.meta.seq, channel: view, folders }));
        else {
          if (opts.at !== undefined) ctx.out(`as of seq ${state.meta.seq} (--at ${opts.at})`);
          for (const line of channelDetail(view, folders)) ctx.out(line);
        }
        return 0;
      }),
    );

  withSharedDirOptions(channel.command('history'))
    .description('who changed the channel, when, and which settings (from the log)')
    .argument('<name>', 'channel name')
    .option('--json', 'one JSON entry per line')
    .action(
      action(ctx, async (name: string, opts: SharedDirOptions & JsonOption) => {
        const { sharedDir } = await existingSharedDrive(opts);
        const entries = await channelHistory(logRecords(sharedDir), name);
        if (entries.length === 0)
          throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: `${name} (never, in this log)` });
        for (const e of entries) {
          if (opts.json) {
            ctx.out(JSON.stringify(e));
            continue;
          }
          const revises = e.type === 'ChannelCreated' || e.type === 'ChannelUpdated';
          const rev = revises && e.revision !== undefined ? ` -> revision ${e.revision}` : '';
          const why = e.reason === undefined ? '' : `: ${e.reason}`;
          const ignored = e.ignored ? '  (ignored by the replay rules)' : '';
          ctx.out(`seq ${e.seq}  ${e.ts}  ${e.by}  ${e.type}${rev}${why}${ignored}`);
          if (e.type === 'ChannelCreated') {
            const flat = e.changes.filter((c) => typeof c.after !== 'object' || c.after === null);
            const nested = e.changes.filter((c) => !flat.includes(c)).map((c) => c.path);
            ctx.out(`    ${flat.map((c) => `${c.path}=${JSON.stringify(c.after)}`).join(' ')}`);
            if (nested.length > 0)
              ctx.out(`    ${nested.join(', ')}: see \`channel show ${name} --at ${e.seq}\``);
            continue;
          }
          for (const c of e.changes) {
            ctx.out(
              `    ${c.path}: ${JSON.stringify(c.before) ?? '(unset)'} -> ${JSON.stringify(c.after) ?? '(unset)'}`,
            );
          }
        }
        return 0;
      }),
    );
}

function registerWriteCommands(channel: Command, ctx: CliContext): void {
  withSettingsFlags(withSharedDirOptions(channel.command('add')))
    .description('create a channel: `channel add NAME --type process --input DIR --output DIR`')
    .argument('<name>', 'channel name (letters, digits, . _ -)')
    .option('--type <type>', 'process | routing | purging (or "type" in --file)')
    .option('--no-mkdir', 'do not create the channel folders')
    .option('--json', 'print the written records as JSON')
    .action(
      action(
        ctx,
        async (name: string, opts: SharedDirOptions & SettingsFlags & JsonOption & { mkdir: boolean }) => {
          const settings = await settingsFromFlags(opts);
          if (settings['type'] === undefined)
            throw new DarkroomError('E_USAGE', { detail: 'which type? pass --type process|routing|purging' });
          return withAdminLog(opts, async (log) => {
            const decision = decideChannelChange(log.state, { kind: 'create', channel: name, settings });
            const records = await appendChannelDecision(log, decision);
            printWritten(ctx, opts.json, records, `channel ${name} created, revision 1`);
            if (opts.mkdir) {
              const { sharedDir } = await resolveSharedDrive(opts);
              for (const p of await makeChannelFolders(sharedDir, settings, name))
                ctx.err(`warning: cannot create ${p}`);
            }
            return 0;
          });
        },
      ),
    );

  withSettingsFlags(withSharedDirOptions(channel.command('set')))
    .description('change settings: `--set key.path=value`, a --file patch, or --replace with full settings')
    .argument('<name>', 'channel name')
    .option('--replace', '--file holds the full settings, not a patch')
    .option('--revision <n>', 'the revision you edited: refused if someone changed the channel since')
    .option('--json', 'print the written records as JSON')
    .action(
      action(
        ctx,
        async (
          name: string,
          opts: SharedDirOptions & SettingsFlags & JsonOption & { replace?: boolean; revision?: string },
        ) => {
          const given = await settingsFromFlags(opts);
          const expectedRevision = revisionOption(opts.revision);
          const command: ChannelCommand = {
            kind: 'update',
            channel: name,
            ...(opts.replace ? { settings: given } : { patch: given }),
            ...(expectedRevision === undefined ? {} : { expectedRevision }),
          };
          return withAdminLog(opts, async (log) => {
            const decision = decideChannelChange(log.state, command);
            const records = await appendChannelDecision(log, decision);
            const first = decision.events[0];
            const changed = first?.type === 'ChannelUpdated' ? first.data.changed.join(', ') : '';
            const revision = log.state.config.channels.get(name)?.revision ?? 0;
            printWritten(
              ctx,
              opts.json,
              records,
              `channel ${name} changed to revision ${revision}: ${changed}`,
            );
            return 0;
          });
        },
      ),
    );

  withSharedDirOptions(channel.command('rm'))
    .description('delete a channel (its folders and files stay)')
    .argument('<name>', 'channel name')
    .option('--revision <n>', 'the revision you looked at: refused if someone changed the channel since')
    .option('--force', 'delete even though jobs of the channel are still open')
    .option('--json', 'print the written records as JSON')
    .action(
      action(
        ctx,
        async (
          name: string,
          opts: SharedDirOptions & JsonOption & { revision?: string; force?: boolean },
        ) => {
          const expectedRevision = revisionOption(opts.revision);
          return withAdminLog(opts, async (log) => {
            const decision = decideChannelChange(log.state, {
              kind: 'delete',
              channel: name,
              ...(expectedRevision === undefined ? {} : { expectedRevision }),
              ...(opts.force ? { force: true } : {}),
            });
            printWritten(
              ctx,
              opts.json,
              await appendChannelDecision(log, decision),
              `channel ${name} deleted`,
            );
            return 0;
          });
        },
      ),
    );

  for (const verb of ['pause', 'resume'] as const) {
    withSharedDirOptions(channel.command(verb))
      .description(
        verb === 'pause'
          ? 'stop taking files from a channel (or a whole --group)'
          : 'take files again (a channel or a whole --group)',
      )
      .argument('[name]', 'channel name (or --group)')
      .option('--group <name>', `${verb} every channel of this group`)
      .option('--reason <text>', 'why (shown in `channel list`)', 'paused by an operator')
      .option('--json', 'print the written records as JSON')
      .action(
        action(
          ctx,
          async (
            name: string | undefined,
            opts: SharedDirOptions & JsonOption & { group?: string; reason: string },
          ) => {
            if ((name === undefined) === (opts.group === undefined)) {
              throw new DarkroomError('E_USAGE', {
                detail: `${verb} NAME or ${verb} --group G (one of them)`,
              });
            }
            return withAdminLog(opts, async (log) => {
              const names = name !== undefined ? [name] : channelsInGroup(log.state, opts.group!);
              if (names.length === 0)
                throw new DarkroomError('E_USAGE', { detail: `no channels in group ${opts.group ?? ''}` });
              const commands: ChannelCommand[] = names.map((channel) =>
                verb === 'pause'
                  ? { kind: 'pause', channel, reason: opts.reason }
                  : { kind: 'resume', channel },
              );
              const decision = decideChannelChanges(log.state, commands);
              const records = await appendChannelDecision(log, decision);
              const done = records.map((r) => (r.data as { channel: string }).channel);
              printWritten(
                ctx,
                opts.json,
                records,
                `${verb === 'pause' ? 'paused' : 'resumed'}: ${done.join(', ')}`,
              );
              return 0;
            });
          },
        ),
      );
  }
}

function registerTransferCommands(channel: Command, ctx: CliContext): void {
  withSharedDirOptions(channel.command('export'))
    .description('write every channel (or a --group) with its settings to a JSON file')
    .option('--out <file>', 'file to write (default: standard output)')
    .option('--group <name>', 'only the channels of this group')
    .action(
      action(ctx, async (opts: SharedDirOptions & { out?: string; group?: string }) => {
        const state = await withAdminLog(opts, async (log) => log.state);
        const doc = exportChannels(state, {
          exportedAt: new Date().toISOString(),
          ...(opts.group === undefined ? {} : { group: opts.group }),
        });
        const text = `${JSON.stringify(channelExportSchema.parse(doc), null, 2)}\n`;
        if (opts.out === undefined) ctx.out(text);
        else {
          await writeFile(opts.out, text, { flag: 'w' });
          ctx.err(`${doc.channels.length} channels written to ${opts.out} (seq ${doc.seq})`);
        }
        return 0;
      }),
    );

  withSharedDirOptions(channel.command('import'))
    .description('create missing and update changed channels from an export file (one batch, all or nothing)')
    .argument('<file>', 'a file written by `channel export`')
    .option('--dry-run', 'say what would change, write nothing')
    .option('--json', 'print the report as JSON')
    .action(
      action(ctx, async (file: string, opts: SharedDirOptions & JsonOption & { dryRun?: boolean }) => {
        const doc = parseChannelExport(await readJsonFile(file), file);
        return withAdminLog(opts, async (log) => {
          const plan = planImport(log.state, doc);
          const records = opts.dryRun ? [] : await appendChannelDecision(log, plan);
          if (!opts.dryRun) {
            const { sharedDir } = await resolveSharedDrive(opts);
            for (const name of plan.report.created) {
              const settings = doc.channels.find((c) => c.name === name)?.settings;
              for (const p of await makeChannelFolders(sharedDir, settings, name))
                ctx.err(`warning: cannot create ${p}`);
            }
          }
          if (opts.json) {
            ctx.out(
              JSON.stringify({
                dryRun: opts.dryRun === true,
                ...plan.report,
                seqs: records.map((r) => r.seq),
              }),
            );
            return 0;
          }
          const r = plan.report;
          if (opts.dryRun) ctx.out('dry run: nothing written; this import would do:');
          ctx.out(`created: ${r.created.join(', ') || '-'}`);
          ctx.out(
            `updated: ${r.updated.map((u) => `${u.name} (${u.changed.join(', ')})`).join('; ') || '-'}`,
          );
          if (r.paused.length > 0) ctx.out(`paused: ${r.paused.join(', ')}`);
          if (r.resumed.length > 0) ctx.out(`resumed: ${r.resumed.join(', ')}`);
          ctx.out(`unchanged: ${r.unchanged.join(', ') || '-'}`);
          if (r.notInFile.length > 0) ctx.out(`left alone (not in the file): ${r.notInFile.join(', ')}`);
          if (records.length > 0) ctx.out(`written at seq ${records[0]!.seq}..${records.at(-1)!.seq}`);
          return 0;
        });
      }),
    );
}
