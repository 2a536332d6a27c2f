// The replay split over two threads (a worker checks the files, this thread folds): the same
// state, the same records in the same order, and the same errors as a replay in one thread.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { packLog } from '../../src/events/segment-pack.js';
import { tempDrive, submitted, type Drive } from './log-fixture.js';
import { note, testProjector } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

/** 90 records in batches of 3 (every tenth a JobSubmitted), packed into segments of 12, 6 left as batches. */
async function packedLog(): Promise<void> {
  const log = await drive.open('w');
  for (let i = 0; i < 90; i += 3) {
    await log.append(
      Array.from({ length: 3 }, (_, k) =>
        (i + k) % 10 === 0 ? submitted(`j${i + k}`) : note('w', `n${i + k}`),
      ),
    );
  }
  await log.stop();
  const r = await packLog(drive.dir, { maxRecords: 12 });
  expect(r.segments.length).toBeGreaterThanOrEqual(6);
}

async function openWatching(worker: boolean): Promise<{ state: unknown; seen: LogRecord[]; seq: number }> {
  const seen: LogRecord[] = [];
  const said: string[] = [];
  const log = await drive.open('r', {
    replayWorkerMinSegments: worker ? 0 : Infinity,
    logger: pino({ level: 'info' }, { write: (line: string) => said.push(line) }),
    // Records reach the projector in order; collect them through its apply.
    projector: {
      ...testProjector,
      apply: (s, r) => {
        seen.push(r);
        return testProjector.apply(s, r);
      },
    },
  });
  // The split really happened (or not).
  expect(said.some((l) => l.includes('checked in a worker thread'))).toBe(worker);
  const out = { state: testProjector.toSnapshot(log.state), seen, seq: log.seq };
  await log.stop();
  return out;
}

describe('replay in a worker thread', () => {
  it('folds the same records in the same order into the same state as one thread', async () => {
    await packedLog();
    const one = await openWatching(false);
    const two = await openWatching(true);
    expect(two.seq).toBe(90);
    expect(two.state).toEqual(one.state);
    expect(two.seen.map((r) => r.seq)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(two.seen).toEqual(one.seen);
  });

  it('starts after a snapshot mid-log and goes on appending where it ended', async () => {
    await packedLog();
    const first = await drive.open('s', { replayWorkerMinSegments: Infinity });
    await first.writeSnapshot();
    await first.append([note('s', 'after the snapshot')]);
    await first.stop();
    await packLog(drive.dir, { maxRecords: 12 });
    const log = await drive.open('t', { replayWorkerMinSegments: 0 });
    expect(log.seq).toBe(91);
    expect(log.state.lastNote.get('s')).toBe('after the snapshot');
    const [r] = await log.append([note('t', 'next')]);
    expect(r!.seq).toBe(92);
  });

  it('a damaged record in a segment stops the replay with the same error as in one thread', async () => {
    await packedLog();
    const segs = (await readdir(join(drive.dir, 'log', 'segments'))).sort();
    const target = join(drive.dir, 'log', 'segments', segs[3]!);
    const text = await readFile(target, 'utf8');
    await writeFile(target, text.replace(/"text":"n(\d+)"/, '"text":"X$1"'));
    const errors: unknown[] = [];
    for (const worker of [false, true]) {
      try {
        await drive.open('r', { replayWorkerMinSegments: worker ? 0 : Infinity });
        errors.push(undefined);
      } catch (err) {
        errors.push(err);
      }
    }
    const [one, two] = errors;
    expect(isDarkroomError(one, 'E_LOG_CORRUPT')).toBe(true);
    expect(isDarkroomError(two, 'E_LOG_CORRUPT')).toBe(true);
    expect((two as Error).message).toBe((one as Error).message);
    expect((two as Error).message).toMatch(/segments\/s0+\d+-0+\d+\.jsonl.*line \d+.*seq \d+/);
  });

  it('a worker that cannot start is logged and the replay goes on in this thread', async () => {
    await packedLog();
    const one = await openWatching(false);
    const said: string[] = [];
    const log = await drive.open('r', {
      replayWorkerMinSegments: 0,
      replayWorkerEntry: new URL('./no-such-replay-worker.ts', import.meta.url),
      logger: pino({ level: 'info' }, { write: (line: string) => said.push(line) }),
    });
    expect(log.seq).toBe(90);
    expect(testProjector.toSnapshot(log.state)).toEqual(one.state);
    expect(said.some((l) => l.includes('replay worker failed; reading the rest in this thread'))).toBe(true);
    await log.stop();
  });
});
