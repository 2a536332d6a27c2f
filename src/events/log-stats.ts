// Log statistics for operators: events by type, batch and segment files, bytes, last seq,
// snapshots — read through the same cursor (so damage is reported, not skipped).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBatchName } from './batch-file.js';
import { LogCursor, listSegments } from './log-cursor.js';
import { requireLog } from './log-init.js';
import { listSnapshots, type SnapshotRef } from './snapshot-store.js';

export interface LogStats {
  readonly lastSeq: number;
  readonly events: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly batches: number;
  readonly segments: number;
  readonly bytes: number;
  /** A batch at the tip without a valid trailer (being written, or torn). */
  readonly incomplete?: string;
  readonly torn: number;
  readonly snapshots: readonly SnapshotRef[];
}

export async function logStats(sharedDir: string): Promise<LogStats> {
  await requireLog(sharedDir);
  const logDir = join(sharedDir, 'log');
  const cursor = new LogCursor(logDir);
  await cursor.refreshSegments();
  const byType: Record<string, number> = {};
  let events = 0;
  let bytes = 0;
  let incomplete: string | undefined;
  for (;;) {
    const step = await cursor.readNext();
    if (step.kind === 'end') break;
    if (step.kind === 'incomplete') {
      incomplete = step.file;
      break;
    }
    bytes += step.bytes;
    for (const { record } of step.entries) {
      byType[record.type] = (byType[record.type] ?? 0) + 1;
      events++;
    }
  }
  const names = await readdir(logDir).catch(() => [] as string[]);
  const torn = await readdir(join(logDir, 'torn')).catch(() => [] as string[]);
  return {
    lastSeq: cursor.next - 1,
    events,
    byType,
    batches: names.filter((n) => parseBatchName(n) !== undefined).length,
    segments: (await listSegments(logDir)).length,
    bytes,
    ...(incomplete !== undefined ? { incomplete } : {}),
    torn: torn.length,
    snapshots: await listSnapshots(sharedDir),
  };
}

/** First seqs of every batch and segment file, ascending (for `log tail` to start near the end). */
export async function fileStarts(sharedDir: string): Promise<number[]> {
  await requireLog(sharedDir);
  const logDir = join(sharedDir, 'log');
  const names = await readdir(logDir).catch(() => [] as string[]);
  const starts = names.map(parseBatchName).filter((n): n is number => n !== undefined);
  for (const s of await listSegments(logDir)) starts.push(s.first);
  return starts.sort((a, b) => a - b);
}
