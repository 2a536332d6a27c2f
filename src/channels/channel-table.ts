// How channels read in a terminal: the state word (active, paused, standby with its reason), one
// row per channel for `channel list`, and the detail block of `channel show`. Pure.
import type { ChannelView } from '../projections/state.js';

export interface ChannelRow {
  readonly name: string;
  readonly type: string;
  /** active | paused | standby */
  readonly state: 'active' | 'paused' | 'standby';
  /** Why it is paused or on standby. */
  readonly reason?: string;
  readonly group?: string;
  readonly revision: number;
  readonly input?: string;
  readonly output?: string;
  readonly updated: { readonly by: string; readonly ts: string; readonly seq: number };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The row of `view`: paused wins over standby (a paused channel is not watched at all). */
export function channelRow(view: ChannelView): ChannelRow {
  const s = view.settings;
  const state = view.paused ? 'paused' : view.standby !== undefined ? 'standby' : 'active';
  const reason = view.paused ? view.pauseReason : view.standby;
  const group = text(s['group']);
  const input = text(s['inputDir']) ?? text(s['folder']);
  const output = text(s['outputDir']);
  return {
    name: view.name,
    type: text(s['type']) ?? '?',
    state,
    ...(reason === undefined ? {} : { reason }),
    ...(group === undefined ? {} : { group }),
    revision: view.revision,
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    updated: { by: view.updated.by, ts: view.updated.ts, seq: view.updated.seq },
  };
}

/** Lines of a table with a header, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The `channel list` table. */
export function channelTable(rows: readonly ChannelRow[]): string[] {
  return table(
    ['NAME', 'TYPE', 'STATE', 'GROUP', 'REV', 'INPUT', 'OUTPUT'],
    rows.map((r) => [
      r.name,
      r.type,
      r.reason === undefined ? r.state : `${r.state} (${r.reason})`,
      r.group ?? '-',
      String(r.revision),
      r.input ?? '-',
      r.output ?? '-',
    ]),
  );
}

/** The `channel show` block: state and provenance, then the settings as indented JSON. */
export function channelDetail(view: ChannelView, folders: Readonly<Record<string, string>>): string[] {
  const r = channelRow(view);
  const at = (s: { by: string; ts: string; seq: number }) => `by ${s.by} at ${s.ts} (seq ${s.seq})`;
  const label = (key: string, value: string) => `${key.padEnd(14)}${value}`;
  const lines = [
    label('channel', `${view.name} (${r.type})`),
    label('state', r.reason === undefined ? r.state : `${r.state}: ${r.reason}`),
    label('revision', `${view.revision}, changed ${at(view.updated)}`),
    label('created', at(view.created)),
  ];
  if (view.paused && view.pausedAt !== undefined) lines.push(label('paused', at(view.pausedAt)));
  if (r.group !== undefined) lines.push(label('group', r.group));
  for (const [key, dir] of Object.entries(folders)) lines.push(label(key, dir));
  lines.push(
    'settings',
    ...JSON.stringify(view.settings, null, 2)
      .split('\n')
      .map((l) => `  ${l}`),
  );
  return lines;
}
