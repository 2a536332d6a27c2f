// The coordinator's own pack meets damage in batch files (issue 19 item 2): it packs what comes
// before the damage, leaves the damaged file where it is and names it (E_LOG_CORRUPT), so a
// running cluster never clears damage nobody was told of and `log verify` keeps reporting it.
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLog } from '../../src/events/log-reader.js';
import { packLog } from '../../src/events/segment-pack.js';
import { batchPath, notesLog, tempDrive, type Drive } from './log-fixture.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

const file = (seq: number): string => batchPath(drive, seq);

const logOf = (n: number): Promise<void> => notesLog(drive, n);

async function segments(): Promise<string[]> {
  return (await readdir(join(drive.dir, 'log', 'segments')).catch(() => [] as string[])).filter((n) =>
    n.endsWith('.jsonl'),
  );
}

describe("the coordinator's pack (trailing: 'refuse') and bytes after a trailer", () => {
  it('packs the batches before it, keeps the damaged file in place and names it; verify still reports it', async () => {
    await logOf(5);
    const size = (await stat(file(3))).size;
    await appendFile(file(3), Buffer.alloc(512));
    await expect(packLog(drive.dir, { trailing: 'refuse' })).rejects.toMatchObject({
      code: 'E_LOG_CORRUPT',
      fields: { file: 'b000000000003.jsonl', offset: size, seq: 3 },
    });
    expect(await segments()).toEqual(['s000000000001-000000000002.jsonl']);
    expect((await readFile(file(3))).length).toBe(size + 512);
    await expect(readdir(join(drive.dir, 'log', 'torn'))).rejects.toMatchObject({ code: 'ENOENT' });
    const v = await verifyLog(drive.dir);
    expect(v).toMatchObject({
      ok: false,
      lastSeq: 5,
      trailing: [{ file: 'b000000000003.jsonl', offset: size }],
    });
    // Restored: the next pack goes on past it.
    await truncate(file(3), size);
    await packLog(drive.dir, { trailing: 'refuse' });
    expect(await segments()).toContain('s000000000003-000000000004.jsonl');
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 5 });
  });

  it("the operator's pack (default) still moves it to log/torn/ after packing its records", async () => {
    await logOf(3);
    await appendFile(file(2), Buffer.alloc(64));
    await packLog(drive.dir);
    expect(await readdir(join(drive.dir, 'log', 'torn'))).toHaveLength(1);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 3 });
  });
});

describe('a batch cut after it was complete (a later file exists)', () => {
  it('without a watch (the CLI): E_LOG_CORRUPT in that file at once, the batches before it packed', async () => {
    await logOf(5);
    const size = (await stat(file(3))).size;
    await truncate(file(3), Math.floor(size / 2));
    await expect(packLog(drive.dir)).rejects.toMatchObject({
      code: 'E_LOG_CORRUPT',
      fields: { file: 'b000000000003.jsonl', seq: 3 },
    });
    expect(await segments()).toEqual(['s000000000001-000000000002.jsonl']);
    expect((await stat(file(3))).size).toBe(Math.floor(size / 2));
  });

  it('with a settle time (the coordinator): named when a read that long after still finds it cut', async () => {
    await logOf(4);
    await truncate(file(3), 10);
    await expect(packLog(drive.dir, { cutSettleMs: 50 })).rejects.toMatchObject({
      code: 'E_LOG_CORRUPT',
      fields: { file: 'b000000000003.jsonl' },
    });
  });

  it('with a settle time: a batch complete by the settled read (a caching view caught up) is no damage', async () => {
    await logOf(4);
    const original = await readFile(file(3));
    await truncate(file(3), 10);
    const pack = packLog(drive.dir, { cutSettleMs: 5000 });
    await new Promise((r) => setTimeout(r, 1000));
    await writeFile(file(3), original);
    // Seen cut, then settled: b1 packed (b2 stays as the newest complete batch before the one
    // judged). (Read only after the restore, on a machine stalled for a second: b1-b3.)
    const { segments } = await pack;
    expect(segments).toHaveLength(1);
    expect([
      'segments/s000000000001-000000000001.jsonl',
      'segments/s000000000001-000000000003.jsonl',
    ]).toContain(segments[0]);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 4 });
  });

  it('an abort ends the wait: no error, nothing judged', async () => {
    await logOf(4);
    await truncate(file(3), 10);
    const ac = new AbortController();
    const pack = packLog(drive.dir, { cutSettleMs: 600_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(pack).resolves.toMatchObject({ segments: [] });
  });
});
