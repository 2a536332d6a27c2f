// The replay checked by worker threads, segment by segment (replay-pipe.ts): over random logs cut
// into random segments, with random damage in any one of them, it ends exactly as a replay in one
// thread — the same state digest (darkroomProjector) at the same seq, or the same error (code,
// file, byte offset, line, seq); and the records it hands over, slice by slice (packed by the
// workers in slices of any size, ASCII or not), are exactly those a plain read parses.
import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { fileBytes, segmentName } from '../../src/events/batch-file.js';
import { EventLog } from '../../src/events/event-log.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import { initLog } from '../../src/events/log-init.js';
import { sealRecord } from '../../src/events/record-codec.js';
import { readRecords } from '../../src/events/log-reader.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { planSegments, replayFiles } from '../../src/events/replay-pipe.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import { stateDigest } from '../../src/projections/state-digest.js';

const eventArb: fc.Arbitrary<DarkroomEvent> = fc.oneof(
  fc.nat(50).map((n): DarkroomEvent => ({
    type: 'JobSubmitted',
    data: {
      jobId: `j${n}`,
      channel: 'news',
      source: 'hotfolder',
      relPath: `j${n}.jpg`,
      workDir: `work/j${n}`,
      file: `j${n}.jpg`,
      bytes: 10 + n,
      submittedBy: 'press1',
    },
  })),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .map((text): DarkroomEvent => ({ type: 'OperatorNote', data: { author: 'ann', text } })),
  // Not ASCII: the worker's slices are then decoded as utf8 (any code point, lone surrogates too).
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 12 })
    .map((text): DarkroomEvent => ({ type: 'OperatorNote', data: { author: 'ånn', text } })),
  fc.constant<DarkroomEvent>({
    type: 'InstanceStarted',
    data: { instanceId: 'press1', host: 'h', pid: 1, version: '0', slots: 2, confHash: 'c', formatLevel: 1 },
  }),
);

type Damage =
  | { kind: 'none' }
  | { kind: 'flip'; at: number }
  | { kind: 'cut'; at: number }
  | { kind: 'prev' }
  | { kind: 'swap' }
  | { kind: 'remove' }
  | { kind: 'junk' };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant<Damage>({ kind: 'none' }),
  fc.nat().map((at): Damage => ({ kind: 'flip', at })),
  fc.nat().map((at): Damage => ({ kind: 'cut', at })),
  fc.constant<Damage>({ kind: 'prev' }),
  fc.constant<Damage>({ kind: 'swap' }),
  fc.constant<Damage>({ kind: 'remove' }),
  fc.constant<Damage>({ kind: 'junk' }),
);

/** Writes `events` as segments of the given sizes (the last one takes the rest); returns their names. */
async function writeSegments(
  dir: string,
  events: readonly DarkroomEvent[],
  sizes: number[],
): Promise<string[]> {
  const logDir = join(dir, 'log');
  await mkdir(join(logDir, 'segments'), { recursive: true });
  const names: string[] = [];
  let prev = '';
  let seq = 1;
  let k = 0;
  while (seq <= events.length) {
    const size = Math.min(sizes[k++ % sizes.length]!, events.length - seq + 1);
    const first = seq;
    const lines: string[] = [];
    for (let i = 0; i < size; i++, seq++) {
      const { record, line } = sealRecord({
        seq,
        ts: '2026-12-07T18:00:00.000Z',
        by: 'press1',
        inc: 0,
        term: 0,
        prev,
        ...events[seq - 1]!,
      });
      prev = record.hash;
      lines.push(line);
    }
    const name = segmentName(first, seq - 1);
    await writeFile(join(logDir, name), fileBytes(lines, { count: lines.length, first, last: prev }));
    names.push(name);
  }
  return names;
}

async function damage(dir: string, name: string, d: Damage, other: string): Promise<void> {
  const path = join(dir, 'log', name);
  const text = await readFile(path, 'latin1');
  const lines = text.split('\n');
  switch (d.kind) {
    case 'none':
      return;
    case 'flip': {
      // A byte inside the records (not the trailer), changed to another printable one.
      const end = text.lastIndexOf('{"trailer":');
      const at = d.at % end;
      const c = text.charCodeAt(at);
      const to = c === 0x0a ? 'x' : String.fromCharCode(c === 0x30 ? 0x31 : 0x30);
      await writeFile(path, text.slice(0, at) + to + text.slice(at + 1), 'latin1');
      return;
    }
    case 'cut':
      await writeFile(path, text.slice(0, d.at % text.length), 'latin1');
      return;
    case 'prev': {
      // The first record chained to another hash (taken from another segment's trailer).
      const hash = /"last":"([0-9a-f]{64})"/.exec(other)![1]!;
      lines[0] = lines[0]!.replace(/"prev":"[0-9a-f]*"/, `"prev":"${hash}"`);
      await writeFile(path, lines.join('\n'), 'latin1');
      return;
    }
    case 'swap':
      if (lines.length > 3) [lines[0], lines[1]] = [lines[1]!, lines[0]!];
      await writeFile(path, lines.join('\n'), 'latin1');
      return;
    case 'remove':
      await unlink(path);
      return;
    case 'junk':
      await writeFile(path, `${text}\0\0junk\n`, 'latin1');
      return;
  }
}

type Outcome = { seq: number; digest: string } | { code: string; message: string };

async function open(dir: string, workers: boolean): Promise<Outcome> {
  try {
    const log = await EventLog.open({
      sharedDir: dir,
      writer: { by: 'r', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
      settleMs: 0,
      replayWorkerMinSegments: workers ? 0 : Infinity,
    });
    const out = { seq: log.seq, digest: stateDigest(log.state) };
    await log.stop();
    return out;
  } catch (err) {
    if (!isDarkroomError(err)) throw err;
    return { code: err.code, message: err.message };
  }
}

describe('replay checked by worker threads, segment by segment', () => {
  it('over random logs and damage in any segment, ends as a replay in one thread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 8, maxLength: 90 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        damageArb,
        async (events, sizes, which, d) => {
          const dir = await mkdtemp(join(tmpdir(), 'darkroom-replay-'));
          try {
            await initLog(dir);
            const names = await writeSegments(dir, events, sizes);
            const target = names[which % names.length]!;
            const other = await readFile(join(dir, 'log', names[(which + 1) % names.length]!), 'latin1');
            await damage(dir, target, d, other);
            const one = await open(dir, false);
            const two = await open(dir, true);
            expect(two).toEqual(one);
            if (d.kind === 'none' || d.kind === 'junk') expect(one).toMatchObject({ seq: events.length });
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it('hands over, slice by slice, exactly the records a plain read parses, whatever the slice size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 8, maxLength: 90 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3_000 }),
        async (events, sizes, sliceBytes) => {
          const dir = await mkdtemp(join(tmpdir(), 'darkroom-replay-'));
          try {
            await initLog(dir);
            await writeSegments(dir, events, sizes);
            const plain: LogRecord[] = [];
            for await (const e of readRecords(dir)) plain.push(e.record);
            const handed: LogRecord[] = [];
            let slices = 0;
            const files = replayFiles(join(dir, 'log'), 1, '', 4, undefined, 2, sliceBytes);
            for await (const f of files) {
              for (const records of f.slices()) {
                expect(records.length).toBeGreaterThan(0);
                handed.push(...records);
                slices++;
              }
            }
            expect(handed).toEqual(plain);
            // Small slice sizes really cut segments (a record line is over 150 bytes).
            if (sliceBytes < 150) expect(slices).toBe(events.length);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 240_000);

  it('plans the segments a cursor reads one after the other, from a file start', () => {
    const segs = [
      { name: 'segments/a', first: 1, last: 10 },
      { name: 'segments/b', first: 11, last: 20 },
      { name: 'segments/b2', first: 11, last: 15 },
      { name: 'segments/c', first: 16, last: 30 },
      { name: 'segments/d', first: 31, last: 40 },
    ];
    // After b (11-20) no segment starts at 21: c covers it but starts at 16.
    expect(planSegments(segs, 1).map((s) => s.name)).toEqual(['segments/a', 'segments/b']);
    expect(planSegments(segs, 31).map((s) => s.name)).toEqual(['segments/d']);
    // A segment overlapping the one before is left to the cursor.
    expect(planSegments([segs[0]!, { name: 'segments/x', first: 5, last: 20 }], 1)).toHaveLength(1);
    expect(planSegments(segs, 12)).toEqual([]);
  });
});
