// The channel-change decider: an admin command (create, update, delete, pause, resume) and the
// projection state in, the events to append and the conditions they rest on out. Pure: the CLI,
// the HTTP API and import all go through it, and the log's conditions refuse a concurrent edit.
import { posix } from 'node:path';
import type { Condition } from '../events/conditions.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { ChannelView, ProjectionState } from '../projections/state.js';
import { channelFolders, parseChannelSettings, type ChannelSettings } from './channel-settings.js';
import { changedPaths, mergePatch } from './settings-paths.js';

export type ChannelCommand =
  | { readonly kind: 'create'; readonly channel: string; readonly settings: unknown }
  | {
      readonly kind: 'update';
      readonly channel: string;
      /** Merged into the current settings (objects key by key; null removes a key). */
      readonly patch?: Readonly<Record<string, unknown>>;
      /** Replaces the settings as a whole (import, `--file` with `--replace`). */
      readonly settings?: unknown;
      /** The revision the person edited; a different current revision is a conflict. */
      readonly expectedRevision?: number;
    }
  | {
      readonly kind: 'delete';
      readonly channel: string;
      readonly expectedRevision?: number;
      /** Delete even though jobs of the channel are still open. */
      readonly force?: boolean;
    }
  | { readonly kind: 'pause'; readonly channel: string; readonly reason: string }
  | { readonly kind: 'resume'; readonly channel: string };

export interface ChannelDecision {
  readonly events: readonly DarkroomEvent[];
  readonly conditions: readonly Condition[];
}

const nothing: ChannelDecision = Object.freeze({ events: [], conditions: [] });

/** The conflict error for an edit made against `expected` while the channel is at `view.revision`. */
export function channelConflict(view: ChannelView, expected: number): DarkroomError {
  return new DarkroomError('E_CHANNEL_CONFLICT', {
    name: view.name,
    by: view.updated.by,
    at: view.updated.ts,
    seq: view.updated.seq,
    actual: view.revision,
    expected,
  });
}

function existing(state: ProjectionState, channel: string, expectedRevision?: number): ChannelView {
  const view = state.config.channels.get(channel);
  if (view === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: channel });
  if (expectedRevision !== undefined && expectedRevision !== view.revision) {
    throw channelConflict(view, expectedRevision);
  }
  return view;
}

const revisionIs = (view: ChannelView): Condition => ({
  kind: 'channelRevision',
  channel: view.name,
  revision: view.revision,
});

/**
 * Pure: what to append for `command` in `state`. Throws E_CHANNEL_UNKNOWN, E_CHANNEL_EXISTS,
 * E_CHANNEL_CONFLICT (expected revision is not the current one), E_CHANNEL_BUSY (delete with open
 * jobs) or E_SETTINGS_INVALID (naming the field path). A command that changes nothing (same
 * settings, pausing a paused channel) decides no events.
 */
export function decideChannelChange(state: ProjectionState, command: ChannelCommand): ChannelDecision {
  const { channel } = command;
  switch (command.kind) {
    case 'create': {
      const view = state.config.channels.get(channel);
      if (view !== undefined) throw new DarkroomError('E_CHANNEL_EXISTS', { name: channel });
      const settings = parseChannelSettings(command.settings, channel);
      refuseOverlappingFolders(channel, settings);
      return {
        events: [{ type: 'ChannelCreated', data: { channel, settings } }],
        conditions: [{ kind: 'channelRevision', channel, revision: 0 }],
      };
    }
    case 'update': {
      const view = existing(state, channel, command.expectedRevision);
      const newType = command.patch?.['type'];
      if (newType !== undefined && newType !== view.settings['type']) {
        throw new DarkroomError('E_SETTINGS_INVALID', {
          field: `channel ${channel}: type`,
          path: 'type',
          where: `channel ${channel}`,
          detail:
            'a patch cannot change the type; give the full settings (channel set NAME --file FILE --replace)',
        });
      }
      const proposed =
        command.settings !== undefined ? command.settings : mergePatch(view.settings, command.patch ?? {});
      const settings = parseChannelSettings(proposed, channel);
      refuseOverlappingFolders(channel, settings);
      const changed = changedPaths(view.settings, settings);
      if (changed.length === 0) return nothing;
      return {
        events: [{ type: 'ChannelUpdated', data: { channel, revision: view.revision, settings, changed } }],
        conditions: [revisionIs(view)],
      };
    }
    case 'delete': {
      const view = existing(state, channel, command.expectedRevision);
      if (command.force !== true) {
        const open = state.jobs.open.count((id) => state.jobs.all.get(id)?.channel === channel);
        if (open > 0) throw new DarkroomError('E_CHANNEL_BUSY', { name: channel, count: open });
      }
      return {
        events: [{ type: 'ChannelDeleted', data: { channel, revision: view.revision } }],
        conditions: [revisionIs(view)],
      };
    }
    case 'pause': {
      const view = existing(state, channel);
      if (view.paused) return nothing;
      return {
        events: [{ type: 'ChannelPaused', data: { channel, reason: command.reason } }],
        conditions: [revisionIs(view)],
      };
    }
    case 'resume': {
      const view = existing(state, channel);
      if (!view.paused) return nothing;
      return { events: [{ type: 'ChannelResumed', data: { channel } }], conditions: [revisionIs(view)] };
    }
  }
}

/**
 * Pure: several commands decided against the same state and appended as one batch (all or
 * nothing). Each command must concern a different channel.
 */
export function decideChannelChanges(
  state: ProjectionState,
  commands: readonly ChannelCommand[],
): ChannelDecision {
  const seen = new Set<string>();
  const events: DarkroomEvent[] = [];
  const conditions: Condition[] = [];
  for (const command of commands) {
    if (seen.has(command.channel)) {
      throw new DarkroomError('E_USAGE', {
        detail: `channel ${command.channel} is named twice in one change`,
      });
    }
    seen.add(command.channel);
    const d = decideChannelChange(state, command);
    events.push(...d.events);
    conditions.push(...d.conditions);
  }
  return { events, conditions };
}

/** The names of the channels in `group`, sorted. */
export function channelsInGroup(state: ProjectionState, group: string): string[] {
  return [...state.config.channels.values()]
    .filter((ch) => ch.settings['group'] === group)
    .map((ch) => ch.name)
    .sort();
}

/**
 * Pure: refuses a channel whose input, output, bad and originals folders overlap (the same
 * folder, or one inside another): darkroom would take its own outputs again, one more copy every
 * few seconds (issue 14). Relative folders are compared as the drive-relative paths they are.
 */
function refuseOverlappingFolders(channel: string, settings: ChannelSettings): void {
  const all = channelFolders(posix.sep, settings);
  const folders = Object.entries(all).filter(([key]) => key !== 'stamp.routeDir');
  const within = (a: string, b: string): boolean => {
    const r = posix.relative(b, a);
    return r === '' || (r !== '..' && !r.startsWith('../') && !posix.isAbsolute(r));
  };
  for (let i = 0; i < folders.length; i++) {
    for (let j = i + 1; j < folders.length; j++) {
      const [ka, a] = folders[i]!;
      const [kb, b] = folders[j]!;
      if (!within(a, b) && !within(b, a)) continue;
      throw new DarkroomError('E_SETTINGS_INVALID', {
        field: `channel ${channel}: ${ka}`,
        path: ka,
        where: `channel ${channel}`,
        detail: `${ka} (${String(settingsFolder(settings, ka))}) and ${kb} (${String(settingsFolder(settings, kb))}) overlap: the same folder, or one inside the other; give each its own folder`,
      });
    }
  }
}

function settingsFolder(settings: ChannelSettings, key: string): unknown {
  return (settings as unknown as Record<string, unknown>)[key];
}
