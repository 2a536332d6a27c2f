// Quick reads of the real log for the fault schedule (who is coordinator now).
import { readRecords } from '../../../src/events/log-reader.js';
import type { LogRecord } from '../../../src/events/log-record.js';

/** Every record up to the first damage, and the damage (a named error) if reading stopped there. */
export async function readLog(shared: string): Promise<{ records: LogRecord[]; damage?: string }> {
  const records: LogRecord[] = [];
  try {
    for await (const e of readRecords(shared)) records.push(e.record);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT')
      return { records, damage: err instanceof Error ? err.message : String(err) };
  }
  return { records };
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
