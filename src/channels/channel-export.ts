// Export and import of channels: all channels (or one group) with their settings and paused state
// as one JSON document, and the plan that brings a shared drive in line with such a document
// (create what is missing, update what differs, under revision conditions). Pure.
import { z } from 'zod';
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { ProjectionState } from '../projections/state.js';
import { channelNameSchema, parseChannelSettings } from './channel-settings.js';
import { decideChannelChange } from './decide-channel-change.js';

export const channelExportSchema = z
  .object({
    format: z.literal('darkroom-channels').describe('marks the file as a darkroom channel export'),
    version: z.literal(1).describe('format version'),
    exportedAt: z.string().describe('when it was written (ISO 8601)'),
    seq: z.number().int().nonnegative().describe('the log seq the export reflects'),
    channels: z
      .array(
        z
          .object({
            name: channelNameSchema,
            revision: z
              .number()
              .int()
              .positive()
              .optional()
              .describe('revision when exported (informational)'),
            paused: z.boolean().default(false),
            pauseReason: z.string().optional(),
            settings: z.record(z.string(), z.unknown()),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();

export type ChannelExport = z.infer<typeof channelExportSchema>;

/** The export document of the channels in `state` (all, or those of `group`), sorted by name. */
export function exportChannels(
  state: ProjectionState,
  opts: { readonly exportedAt: string; readonly group?: string },
): ChannelExport {
  const channels = [...state.config.channels.values()]
    .filter((ch) => opts.group === undefined || ch.settings['group'] === opts.group)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((ch) => ({
      name: ch.name,
      revision: ch.revision,
      paused: ch.paused,
      ...(ch.pauseReason === undefined ? {} : { pauseReason: ch.pauseReason }),
      settings: { ...ch.settings },
    }));
  return {
    format: 'darkroom-channels',
    version: 1,
    exportedAt: opts.exportedAt,
    seq: state.meta.seq,
    channels,
  };
}

/**
 * Validates an export document read from `file`, including every channel's settings. Throws
 * E_SETTINGS_INVALID naming the file, the channel and the field path.
 */
export function parseChannelExport(json: unknown, file: string): ChannelExport {
  const r = channelExportSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: `${file}: ${path || '(document)'}`,
      detail: issue.message,
    });
  }
  const names = new Set<string>();
  for (const ch of r.data.channels) {
    if (names.has(ch.name)) {
      throw new DarkroomError('E_SETTINGS_INVALID', {
        field: `${file}: channel ${ch.name}`,
        detail: 'is listed twice',
      });
    }
    names.add(ch.name);
    try {
      parseChannelSettings(ch.settings, ch.name);
    } catch (err) {
      if (!isDarkroomError(err, 'E_SETTINGS_INVALID')) throw err;
      throw new DarkroomError('E_SETTINGS_INVALID', {
        ...err.fields,
        field: `${file}: ${String(err.fields['field'])}`,
      });
    }
  }
  return r.data;
}

export interface ImportReport {
  readonly created: readonly string[];
  readonly updated: readonly { readonly name: string; readonly changed: readonly string[] }[];
  readonly paused: readonly string[];
  readonly resumed: readonly string[];
  readonly unchanged: readonly string[];
  /** Channels on the drive that the document does not name (left as they are). */
  readonly notInFile: readonly string[];
}

export interface ImportPlan {
  readonly events: readonly DarkroomEvent[];
  readonly conditions: readonly Condition[];
  readonly report: ImportReport;
}

/**
 * Pure: what to append so the channels named in `doc` match it: missing channels created,
 * channels whose settings differ updated (settings replaced as a whole), paused state matched.
 * Every channel touched carries its revision condition, so the whole import is refused if anyone
 * changed one of them meanwhile. Channels the document does not name are left alone.
 */
export function planImport(state: ProjectionState, doc: ChannelExport): ImportPlan {
  const events: DarkroomEvent[] = [];
  const conditions: Condition[] = [];
  const report = {
    created: [] as string[],
    updated: [] as ImportReport['updated'][number][],
    paused: [] as string[],
    resumed: [] as string[],
    unchanged: [] as string[],
  };
  for (const ch of doc.channels) {
    const view = state.config.channels.get(ch.name);
    const d =
      view === undefined
        ? decideChannelChange(state, { kind: 'create', channel: ch.name, settings: ch.settings })
        : decideChannelChange(state, { kind: 'update', channel: ch.name, settings: ch.settings });
    events.push(...d.events);
    conditions.push(...d.conditions);
    let touched = d.events.length > 0;
    if (view === undefined) report.created.push(ch.name);
    else {
      const first = d.events[0];
      if (first?.type === 'ChannelUpdated')
        report.updated.push({ name: ch.name, changed: first.data.changed });
    }
    const wasPaused = view?.paused ?? false;
    if (ch.paused !== wasPaused) {
      events.push(
        ch.paused
          ? { type: 'ChannelPaused', data: { channel: ch.name, reason: ch.pauseReason ?? 'imported paused' } }
          : { type: 'ChannelResumed', data: { channel: ch.name } },
      );
      if (view !== undefined && !touched) {
        conditions.push({ kind: 'channelRevision', channel: ch.name, revision: view.revision });
      }
      (ch.paused ? report.paused : report.resumed).push(ch.name);
      touched = true;
    }
    if (!touched) report.unchanged.push(ch.name);
  }
  const named = new Set(doc.channels.map((c) => c.name));
  const notInFile = [...state.config.channels.keys()].filter((n) => !named.has(n)).sort();
  return { events, conditions, report: { ...report, notInFile } };
}
