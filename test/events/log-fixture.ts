// Helpers for log tests: a temp shared drive, opening logs on it with the test projector.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type EventLogOptions } from '../../src/events/event-log.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { initLog } from '../../src/events/log-init.js';
import { readRecords } from '../../src/events/log-reader.js';
import { batchName } from '../../src/events/batch-file.js';
import { note, testProjector, type TestState } from './test-projector.js';

export interface Drive {
  readonly dir: string;
  open(by?: string, o?: Partial<EventLogOptions<TestState>>): Promise<EventLog<TestState>>;
  records(): Promise<LogRecord[]>;
  cleanup(): Promise<void>;
}

export async function tempDrive(): Promise<Drive> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-log-'));
  await initLog(dir);
  const opened: EventLog<TestState>[] = [];
  return {
    dir,
    async open(by = 'press1', o = {}) {
      const log = await EventLog.open({
        sharedDir: dir,
        writer: { by, inc: 0 },
        projector: testProjector,
        snapshotEvery: 0,
        // A local folder has no attribute cache to wait out before a repair or a damage report.
        settleMs: 0,
        ...o,
      });
      opened.push(log);
      return log;
    },
    async records() {
      const out: LogRecord[] = [];
      for await (const { record } of readRecords(dir)) out.push(record);
      return out;
    },
    async cleanup() {
      await Promise.all(opened.map((l) => l.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function submitted(jobId: string) {
  return {
    type: 'JobSubmitted',
    data: {
      jobId,
      channel: 'news',
      source: 'hotfolder',
      relPath: `${jobId}.jpg`,
      workDir: `work/${jobId}`,
      file: `${jobId}.jpg`,
      bytes: 10,
      submittedBy: 'press1',
    },
  } as const;
}

/** The path of batch `seq` on `drive`. */
export const batchPath = (drive: Drive, seq: number): string => join(drive.dir, 'log', batchName(seq));

/** A log of `n` operator notes by writer "w", one durable batch each (seq 1..n). */
export async function notesLog(drive: Drive, n: number): Promise<void> {
  const log = await drive.open('w', { groupCommit: false });
  for (let i = 1; i <= n; i++) await log.append([note('w', `text ${i}`)]);
  await log.stop();
}
