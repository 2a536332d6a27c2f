// What an instance needs from a channel's settings: validated settings (parseChannelSettings),
// folders resolved to absolute paths (relative ones against the shared drive, absent ones under
// <shared>/hotfolders/NAME/), and the watch options. Pure apart from path arithmetic.
import { isAbsolute, join, relative, sep } from 'node:path';
import {
  parseChannelSettings,
  resolveChannelFolder,
  type ChannelSettings,
} from '../channels/channel-settings.js';
import type { ClusterConf } from '../cluster/conf.js';
import type { ChannelView } from '../projections/state.js';

interface PlanBase {
  readonly name: string;
  readonly revision: number;
}

export interface WatchPlan {
  readonly input: string;
  readonly recursive: boolean;
  readonly fileReadyDelayMs: number;
  readonly skipPattern?: string;
  /** Channel folders inside the input folder: never scanned. */
  readonly excludeDirs: readonly string[];
  readonly usePolling: boolean;
}

export type ProcessSettings = Extract<ChannelSettings, { type: 'process' }>;
export type RoutingChannel = Extract<ChannelSettings, { type: 'routing' }>;
export type PurgingSettings = Extract<ChannelSettings, { type: 'purging' }>;

export interface ProcessPlan extends PlanBase, WatchPlan {
  readonly type: 'process';
  readonly output: string;
  readonly bad: string;
  readonly originalsDir: string;
  readonly settings: ProcessSettings;
}

export interface RoutingPlan extends PlanBase, WatchPlan {
  readonly type: 'routing';
  readonly bad: string;
  readonly settings: RoutingChannel;
}

export interface PurgingPlan extends PlanBase {
  readonly type: 'purging';
  readonly folder: string;
  readonly settings: PurgingSettings;
}

export type ChannelPlan = ProcessPlan | RoutingPlan | PurgingPlan;

/** The generic ticket folder's name: not a valid channel name, so it never clashes with one. */
export const ticketFolderName = '_tickets';

/** The generic ticket folder: its tickets name their channel (docs/job-tickets.md). */
export interface TicketFolderPlan extends WatchPlan {
  readonly type: 'tickets';
  readonly name: typeof ticketFolderName;
  readonly revision: 0;
  readonly bad: string;
}

/** What the coordinator watches: the process and routing channels' inputs and the ticket folder. */
export type WatchedPlan = ProcessPlan | RoutingPlan | TicketFolderPlan;

/** `<shared>/hotfolders/_tickets/in`, bad tickets to `<shared>/hotfolders/_tickets/bad`; tickets are small: 1 s ready delay. */
export function ticketFolderPlan(
  sharedDir: string,
  conf: Pick<ClusterConf, 'pollHotfolders'>,
): TicketFolderPlan {
  const dir = join(sharedDir, 'hotfolders', ticketFolderName);
  return {
    type: 'tickets',
    name: ticketFolderName,
    revision: 0,
    input: join(dir, 'in'),
    bad: join(dir, 'bad'),
    recursive: false,
    fileReadyDelayMs: 1000,
    excludeDirs: [],
    usePolling: conf.pollHotfolders,
  };
}

/** A channel folder setting as an absolute path (absent: `<shared>/hotfolders/NAME/<sub>`). */
export function channelFolder(
  sharedDir: string,
  channel: string,
  value: string | undefined,
  sub: string,
): string {
  return value === undefined
    ? join(sharedDir, 'hotfolders', channel, sub)
    : resolveChannelFolder(sharedDir, value);
}

function inside(dir: string, parent: string): boolean {
  const r = relative(parent, dir);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
}

/** Parses and resolves a channel's settings; throws E_SETTINGS_INVALID when they no longer validate. */
export function planOf(
  view: ChannelView,
  sharedDir: string,
  conf: Pick<ClusterConf, 'pollHotfolders'>,
): ChannelPlan {
  const settings = parseChannelSettings(view.settings, view.name);
  const base = { name: view.name, revision: view.revision };
  const folder = (value: string | undefined, sub: string) => channelFolder(sharedDir, view.name, value, sub);
  if (settings.type === 'purging')
    return { ...base, type: 'purging', folder: folder(settings.folder, ''), settings };
  const input = folder(settings.inputDir, 'in');
  const watch = {
    input,
    recursive: settings.scanSubfolders,
    fileReadyDelayMs: settings.fileReadyDelayMs,
    ...(settings.skipPattern !== undefined ? { skipPattern: settings.skipPattern } : {}),
    usePolling: settings.pollInput ?? conf.pollHotfolders,
  };
  if (settings.type === 'routing') {
    const bad = folder(settings.badDir, 'bad');
    return {
      ...base,
      ...watch,
      type: 'routing',
      bad,
      excludeDirs: [bad].filter((d) => inside(d, input)),
      settings,
    };
  }
  const output = folder(settings.outputDir, 'out');
  const bad = folder(settings.badDir, 'bad');
  const originalsDir = folder(settings.originalsDir, 'originals');
  return {
    ...base,
    ...watch,
    type: 'process',
    output,
    bad,
    originalsDir,
    excludeDirs: [output, bad, originalsDir].filter((d) => inside(d, input)),
    settings,
  };
}
