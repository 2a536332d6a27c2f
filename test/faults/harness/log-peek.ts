// Quick reads of the real log for the fault schedule (who is coordinator now).
import { readRecords } from '../../../src/events/log-reader.js';
import type { LogRecord } from '../../../src/events/log-record.js';

/**
 * Every record up to the first damage, and the damage (a named error) if reading stopped there. A
 * read that races the coordinator packing batches into a segment can find a batch gone between
 * listing and reading ("the file is missing"): read again, at most 5 times, so a gap that stays
 * is still reported.
 */
export async function readLog(shared: string): Promise<{ records: LogRecord[]; damage?: string }> {
  for (let attempt = 1; ; attempt++) {
    const records: LogRecord[] = [];
    try {
      for await (const e of readRecords(shared)) records.push(e.record);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ENOENT') return { records };
      const vanished = e.code === 'E_LOG_CORRUPT' && /the file is missing/.test(e.message ?? '');
      if (vanished && attempt < 5) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return { records, damage: err instanceof Error ? err.message : String(err) };
    }
    return { records };
  }
}

/** The instance id the log names coordinator (the last applied or not election: a hint). */
export async function logCoordinator(shared: string): Promise<string | undefined> {
  const { records } = await readLog(shared);
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type === 'CoordinatorElected') return r.data.instanceId;
  }
  return undefined;
}
