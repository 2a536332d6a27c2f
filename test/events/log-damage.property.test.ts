// Property (issue 14): random trailing bytes, truncations and bit flips of the newest or an older
// batch. Acknowledged records are never discarded, and the damage is always named with its file
// and a byte offset at or before the first changed byte.
//
// The one case where a writer moves a batch aside is a newest batch cut before the end of its
// trailer: that is byte for byte what a writer that stopped mid-write leaves, so it cannot be
// told apart from an unacknowledged batch. It is then renamed into log/torn/ whole (its bytes
// kept) and recorded by a BatchRepaired event — never edited or deleted.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchName } from '../../src/events/batch-file.js';
import { EventLog } from '../../src/events/event-log.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { readRecords, verifyLog } from '../../src/events/log-reader.js';
import { tempDrive } from './log-fixture.js';
import { note, testProjector } from './test-projector.js';

/** The acknowledged log every run starts from: batch first seqs and their bytes. */
let template: { first: number; bytes: Buffer }[] = [];
let acknowledged: LogRecord[] = [];
let scratch = '';

beforeAll(async () => {
  const drive = await tempDrive();
  const log = await drive.open('w', { groupCommit: false });
  // Four batches of 1..3 records: seqs 1, 2-3, 4-6, 7-8.
  for (const n of [1, 2, 3, 2]) {
    await log.append(Array.from({ length: n }, (_, i) => note('w', `t${i} ünï`)));
  }
  await log.stop();
  for (const f of (await readdir(join(drive.dir, 'log'))).filter((x) => x.startsWith('b')).sort()) {
    template.push({ first: Number(f.slice(1, 13)), bytes: await readFile(join(drive.dir, 'log', f)) });
  }
  acknowledged = await drive.records();
  await drive.cleanup();
  scratch = await mkdtemp(join(tmpdir(), 'darkroom-damage-'));
});

afterAll(async () => {
  template = [];
  await rm(scratch, { recursive: true, force: true });
});

type Mutation =
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'flip'; fraction: number; bit: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.constantFrom(new Uint8Array([10]), new Uint8Array(8), Buffer.from('{"trailer":{"count":1}}\n')),
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    fraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
);

/** The mutated bytes and the first byte offset that differs from the original. */
function mutate(orig: Buffer, m: Mutation): { bytes: Buffer; at: number } {
  switch (m.kind) {
    case 'append':
      return { bytes: Buffer.concat([orig, m.bytes]), at: orig.length };
    case 'truncate': {
      const len = Math.min(orig.length - 1, Math.floor(m.fraction * orig.length));
      return { bytes: orig.subarray(0, len), at: len };
    }
    case 'flip': {
      const bytes = Buffer.from(orig);
      const at = Math.floor(m.fraction * orig.length);
      bytes[at] = bytes[at]! ^ (1 << m.bit);
      return { bytes, at };
    }
  }
}

async function recordsOf(dir: string): Promise<LogRecord[] | 'unreadable'> {
  const out: LogRecord[] = [];
  try {
    for await (const { record } of readRecords(dir)) out.push(record);
  } catch {
    return 'unreadable';
  }
  return out;
}

let run = 0;

describe('log damage (property)', () => {
  it('never discards an acknowledged record, and names every damage with its file and byte offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), mutation, async (which, m) => {
        const dir = join(scratch, `r${run++}`);
        await mkdir(join(dir, 'log'), { recursive: true });
        for (const t of template) await writeFile(join(dir, 'log', batchName(t.first)), t.bytes);
        const target = template[which]!;
        const name = batchName(target.first);
        const newest = which === template.length - 1;
        const { bytes, at } = mutate(target.bytes, m);
        await writeFile(join(dir, 'log', name), bytes);
        // A newest batch cut before its trailer ends looks exactly like a write that stopped.
        const lookslikeStoppedWrite =
          newest && m.kind === 'truncate' && bytes.length < target.bytes.length - 1;

        // 1. Damage is named: its file, and the start of the line holding the first changed byte
        //    (bytes after a trailer: exactly where they start).
        const v = await verifyLog(dir);
        const lineStart = at === 0 ? 0 : target.bytes.lastIndexOf(10, at - 1) + 1;
        const named =
          (v.error?.file === name && v.error.offset === lineStart) ||
          (v.error === undefined && v.trailing?.some((t) => t.file === name && t.offset === at)) ||
          (lookslikeStoppedWrite && v.incomplete?.file === name && v.incomplete.offset === lineStart);
        expect(named, JSON.stringify({ name, at, lineStart, m, v })).toBe(true);

        // 2. A writer opens and appends, or refuses naming the file; either way nothing is lost.
        const opened = await EventLog.open({
          sharedDir: dir,
          writer: { by: 'w2', inc: 0 },
          projector: testProjector,
          snapshotEvery: 0,
          // A local folder has no attribute cache to wait out.
          settleMs: 0,
        }).catch((err: unknown) => err as Error);
        if (opened instanceof EventLog) {
          await opened.append([note('w2', 'next')]).catch(() => undefined);
          await opened.stop();
        } else {
          expect(opened).toMatchObject({ fields: { file: name } });
          expect(['E_LOG_CORRUPT', 'E_LOG_RECORD_INVALID']).toContain((opened as { code?: string }).code);
        }
        const after = await recordsOf(dir);
        const tornDir = await readdir(join(dir, 'log', 'torn')).catch(() => [] as string[]);
        if (lookslikeStoppedWrite) {
          // Moved aside whole, and the repair recorded; every older batch's records kept.
          expect(tornDir).toHaveLength(1);
          expect((await readFile(join(dir, 'log', 'torn', tornDir[0]!))).equals(bytes)).toBe(true);
          expect(after).not.toBe('unreadable');
          const recs = after as LogRecord[];
          expect(recs.slice(0, target.first - 1)).toEqual(acknowledged.slice(0, target.first - 1));
          expect(recs[target.first - 1]?.type).toBe('BatchRepaired');
        } else {
          expect(tornDir, 'no acknowledged batch moved aside').toEqual([]);
          expect(
            (await readFile(join(dir, 'log', name))).equals(bytes),
            'the damaged file is left as it is',
          ).toBe(true);
          if (after !== 'unreadable') expect(after.slice(0, acknowledged.length)).toEqual(acknowledged);
        }
        await rm(dir, { recursive: true, force: true });
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
