// A channel's past, read from the log: who changed what when (the setting paths of each change,
// before and after), and the channel as it was at a seq or a time, folded through the real
// projector so that it is exactly what every instance saw then.
import type { EventType } from '../events/event-types.js';
import type { LogRecord } from '../events/log-record.js';
import { readRecords } from '../events/log-reader.js';
import { applyRecord } from '../projections/apply-record.js';
import { initialState } from '../projections/initial-state.js';
import type { ChannelView, ProjectionState } from '../projections/state.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { changedPaths, getPath } from './settings-paths.js';

const channelEvents: ReadonlySet<EventType> = new Set<EventType>([
  'ChannelCreated',
  'ChannelUpdated',
  'ChannelDeleted',
  'ChannelPaused',
  'ChannelResumed',
  'ChannelStandbyEntered',
  'ChannelStandbyLeft',
]);

export interface SettingChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ChannelHistoryEntry {
  readonly seq: number;
  readonly ts: string;
  readonly by: string;
  readonly type: EventType;
  /** The channel's revision after this record (absent once deleted). */
  readonly revision?: number;
  /** The settings that changed (ChannelCreated: every setting, before undefined). */
  readonly changes: readonly SettingChange[];
  /** Pause or standby reason. */
  readonly reason?: string;
  /** Set when the replay rules ignored the record: why it did not take effect. */
  readonly ignored?: boolean;
}

/** The records of the whole log, in seq order. */
export async function* logRecords(sharedDir: string, to?: number): AsyncIterable<LogRecord> {
  for await (const e of readRecords(sharedDir, to === undefined ? {} : { to })) yield e.record;
}

function concerns(record: LogRecord, channel: string): boolean {
  return channelEvents.has(record.type) && (record.data as { channel?: unknown }).channel === channel;
}

/** What changed between two views of a channel; a creation lists every setting, a deletion none. */
function changesBetween(before: ChannelView | undefined, after: ChannelView | undefined): SettingChange[] {
  if (after === undefined) return [];
  const a = before?.settings ?? {};
  return changedPaths(a, after.settings).map((path) => ({
    path,
    before: getPath(a, path),
    after: getPath(after.settings, path),
  }));
}

/**
 * Every record about `channel`, oldest first, with the setting paths each one changed (computed
 * from the projected views before and after, so a record the replay rules ignored shows no change
 * and is flagged). A channel deleted and created again keeps one history.
 */
export async function channelHistory(
  records: AsyncIterable<LogRecord> | Iterable<LogRecord>,
  channel: string,
): Promise<ChannelHistoryEntry[]> {
  let state = initialState();
  const out: ChannelHistoryEntry[] = [];
  for await (const record of records) {
    const before = state.config.channels.get(channel);
    const next = applyRecord(state, record);
    if (concerns(record, channel)) {
      const after = next.config.channels.get(channel);
      const ignored = next.meta.ignored.get(record.type, 0) > state.meta.ignored.get(record.type, 0);
      const reason = (record.data as { reason?: unknown }).reason;
      out.push(
        Object.freeze({
          seq: record.seq,
          ts: record.ts,
          by: record.by,
          type: record.type,
          ...(after === undefined ? {} : { revision: after.revision }),
          changes: ignored ? [] : changesBetween(before, after),
          ...(typeof reason === 'string' ? { reason } : {}),
          ...(ignored ? { ignored: true } : {}),
        }),
      );
    }
    state = next;
  }
  return out;
}

/** A point in the log's past: after a seq, or at a wall-clock time. */
export type LogPoint = { readonly seq: number } | { readonly time: Date };

/**
 * Parses `--at`: a whole number is a seq, anything else an ISO 8601 time (`2026-11-25T13:05:00Z`,
 * `2026-11-25 13:05`). Throws E_USAGE otherwise.
 */
export function parseLogPoint(text: string): LogPoint {
  if (/^\d+$/.test(text)) return { seq: Number(text) };
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new DarkroomError('E_USAGE', {
      detail: `--at "${text}" is neither a seq (a whole number) nor a time (ISO 8601, e.g. 2026-11-25T13:05:00Z)`,
    });
  }
  return { time: new Date(ms) };
}

/**
 * The projections as they were at `point`: every record up to that seq, or every record before the
 * first one written after that time (records are ordered by seq, not by their writers' clocks).
 */
export async function stateAt(
  records: AsyncIterable<LogRecord> | Iterable<LogRecord>,
  point: LogPoint,
): Promise<ProjectionState> {
  let state = initialState();
  const limitMs = 'time' in point ? point.time.getTime() : undefined;
  for await (const record of records) {
    if ('seq' in point && record.seq > point.seq) break;
    if (limitMs !== undefined && Date.parse(record.ts) > limitMs) break;
    state = applyRecord(state, record);
  }
  return state;
}
