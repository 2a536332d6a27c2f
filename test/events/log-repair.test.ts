import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchName } from '../../src/events/batch-file.js';
import { verifyLog } from '../../src/events/log-reader.js';
import { sealRecord } from '../../src/events/record-codec.js';
import { notesLog, tempDrive, type Drive } from './log-fixture.js';
import { elected, note } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

/** Forges a torn batch at `seq`: one complete record line and half of another, no trailer. */
async function forgeTorn(seq: number, prev: string): Promise<void> {
  const a = sealRecord({
    seq,
    ts: 't',
    by: 'dead',
    inc: 0,
    term: 0,
    type: 'OperatorNote',
    data: { author: 'dead', text: 'x' },
    prev,
  });
  const b = sealRecord({
    seq: seq + 1,
    ts: 't',
    by: 'dead',
    inc: 0,
    term: 0,
    type: 'OperatorNote',
    data: { author: 'dead', text: 'y' },
    prev: a.record.hash,
  });
  await writeFile(join(drive.dir, 'log', batchName(seq)), `${a.line}\n${b.line.slice(0, 40)}`);
}

describe('a torn batch at the tip', () => {
  it('stops readers without an error, and the next writer moves it aside and records the repair', async () => {
    const log = await drive.open('w');
    const [r1] = await log.append([note('w', 'one')]);
    await forgeTorn(2, r1!.hash);
    const reader = await drive.open('r');
    expect(reader.seq).toBe(1);
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: true,
      lastSeq: 1,
      incomplete: { file: 'b000000000002.jsonl', lines: 1 },
    });

    const recs = await log.append([note('w', 'two')]);
    expect(recs.map((r) => [r.seq, r.type])).toEqual([[3, 'OperatorNote']]);
    const all = await drive.records();
    expect(all.map((r) => r.type)).toEqual(['OperatorNote', 'BatchRepaired', 'OperatorNote']);
    const repaired = all[1]!;
    if (repaired.type !== 'BatchRepaired') throw new Error('expected BatchRepaired');
    expect(repaired.data).toMatchObject({ file: 'b000000000002.jsonl', records: 1 });
    expect(await readdir(join(drive.dir, 'log', 'torn'))).toEqual([
      repaired.data.movedTo.slice('torn/'.length),
    ]);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 3 });
    await reader.catchUp();
    expect(reader.state).toEqual(log.state);
  });
});

describe('damage in the middle of the log', () => {
  const logOf = (n: number): Promise<void> => notesLog(drive, n);

  it('one byte changed in an old record: verify names that seq, file and line; open stops with E_LOG_CORRUPT', async () => {
    await logOf(6);
    const file = join(drive.dir, 'log', batchName(3));
    await writeFile(file, (await readFile(file, 'utf8')).replace('text 3', 'text 8'));
    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({
      ok: false,
      lastSeq: 2,
      error: { seq: 3, file: 'b000000000003.jsonl', line: 1 },
    });
    expect(v.error!.detail).toContain('hash mismatch');
    await expect(drive.open('r')).rejects.toMatchObject({ code: 'E_LOG_CORRUPT', fields: { seq: 3 } });
  });

  it('a missing batch in the middle is a gap: verify and open stop there, never skip it', async () => {
    await logOf(4);
    await rm(join(drive.dir, 'log', batchName(2)));
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: false,
      lastSeq: 1,
      error: { seq: 2, detail: expect.stringContaining('missing') },
    });
    await expect(drive.open('r')).rejects.toMatchObject({ code: 'E_LOG_CORRUPT', fields: { seq: 2 } });
  });

  it('a complete batch with a trailer that does not match its records is damage', async () => {
    await logOf(2);
    const file = join(drive.dir, 'log', batchName(1));
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"count":1', '"count":2'));
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: false,
      error: { seq: 1, file: 'b000000000001.jsonl' },
    });
  });
});

describe('verify: terms and elections', () => {
  it('reports a second CoordinatorElected for the same term', async () => {
    const log = await drive.open('w');
    await log.append([elected('a', 1)]);
    await log.append([elected('b', 1)], { term: 0 });
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: false,
      error: { seq: 2, detail: expect.stringContaining('term 1') },
    });
  });

  it('reports an envelope term ahead of any election', async () => {
    const log = await drive.open('w');
    await log.append([note('w', 'x')], { term: 3 });
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: false,
      error: { seq: 1, detail: expect.stringContaining('term 3') },
    });
  });
});
