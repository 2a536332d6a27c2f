// Damage after, inside and instead of a batch's trailer (issue 14, items 1 and 6): a batch with
// a complete, verifying trailer is never torn, whatever follows it; damage is named in the file
// where it is, with its byte offset; acknowledged records are never discarded.
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLog } from '../../src/events/log-reader.js';
import { packLog } from '../../src/events/segment-pack.js';
import { batchPath, notesLog, tempDrive, type Drive } from './log-fixture.js';
import { note } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

const file = (seq: number): string => batchPath(drive, seq);

const logOf = (n: number): Promise<void> => notesLog(drive, n);

describe('bytes after the trailer of the newest batch', () => {
  it('the batch is not torn: verify reports the bytes with file and offset, the next writer keeps the batch', async () => {
    await logOf(3);
    const size = (await stat(file(3))).size;
    await appendFile(file(3), '\n');

    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({
      ok: false,
      lastSeq: 3,
      trailing: [{ file: 'b000000000003.jsonl', offset: size, bytes: 1 }],
    });
    expect(v.incomplete).toBeUndefined();

    const writer = await drive.open('w2');
    expect(writer.seq).toBe(3);
    const [r] = await writer.append([note('w2', 'after')]);
    expect(r!.seq).toBe(4);
    expect((await drive.records()).map((x) => x.type)).toEqual([
      'OperatorNote',
      'OperatorNote',
      'OperatorNote',
      'OperatorNote',
    ]);
    await expect(readdir(join(drive.dir, 'log', 'torn'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a trailer whose line end is missing still completes the batch, and is reported', async () => {
    await logOf(2);
    const size = (await stat(file(2))).size;
    await truncate(file(2), size - 1);
    expect(await verifyLog(drive.dir)).toMatchObject({
      ok: false,
      lastSeq: 2,
      trailing: [{ file: 'b000000000002.jsonl', offset: size - 1, bytes: 0 }],
    });
    const writer = await drive.open('w2');
    await writer.append([note('w2', 'after')]);
    expect((await drive.records()).map((x) => x.seq)).toEqual([1, 2, 3]);
  });

  it('a damaged trailer line is damage, never torn: the writer refuses and the file stays', async () => {
    await logOf(2);
    const before = await readFile(file(2), 'utf8');
    const at = before.indexOf('"count"');
    await writeFile(file(2), `${before.slice(0, at)}"coun]"${before.slice(at + 7)}`);
    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({ ok: false, lastSeq: 1, error: { file: 'b000000000002.jsonl' } });
    expect(v.error!.offset).toBe(before.indexOf('{"trailer"'));
    await expect(drive.open('w2')).rejects.toMatchObject({
      code: 'E_LOG_CORRUPT',
      fields: { file: 'b000000000002.jsonl' },
    });
    expect(await readFile(file(2), 'utf8')).toContain('"coun]"');
  });

  it('pack moves a batch with trailing bytes to log/torn/ after copying its records, and verify is clean', async () => {
    await logOf(3);
    await appendFile(file(2), 'junk');
    await packLog(drive.dir);
    const torn = await readdir(join(drive.dir, 'log', 'torn'));
    expect(torn).toHaveLength(1);
    expect(torn[0]).toMatch(/^b000000000002\.jsonl\./);
    expect(await readFile(join(drive.dir, 'log', 'torn', torn[0]!), 'utf8')).toMatch(/junk$/);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 3 });
  });
});

describe('NUL bytes after an old batch trailer', () => {
  it('are reported in that file at their byte offset, not as line 0 of the next file', async () => {
    await logOf(4);
    const size = (await stat(file(2))).size;
    await appendFile(file(2), Buffer.alloc(16));
    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({
      ok: false,
      lastSeq: 4,
      trailing: [{ file: 'b000000000002.jsonl', offset: size, bytes: 16 }],
    });
    expect(v.error).toBeUndefined();
  });

  it('an old batch cut inside its trailer: damage named in that file from where its trailer should be', async () => {
    await logOf(4);
    const text = await readFile(file(2), 'utf8');
    const trailerAt = text.indexOf('{"trailer"');
    await truncate(file(2), trailerAt + 5);
    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({
      ok: false,
      lastSeq: 1,
      error: { file: 'b000000000002.jsonl', offset: trailerAt, seq: 2 },
    });
    await expect(drive.open('w2')).rejects.toMatchObject({
      code: 'E_LOG_CORRUPT',
      fields: { file: 'b000000000002.jsonl', offset: trailerAt },
    });
  });
});
