import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogCursor } from '../../src/events/log-cursor.js';
import { verifyLog } from '../../src/events/log-reader.js';
import { packLog } from '../../src/events/segment-pack.js';
import { listSnapshots, snapshotName, writeSnapshotFile } from '../../src/events/snapshot-store.js';
import { silentLogger } from '../../src/logger.js';
import { tempDrive, type Drive } from './log-fixture.js';
import { note, testProjector } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

async function fill(n: number, perBatch = 3): Promise<void> {
  const log = await drive.open('w');
  for (let i = 0; i < n; i += perBatch) {
    await log.append(Array.from({ length: Math.min(perBatch, n - i) }, (_, k) => note('w', `n${i + k}`)));
  }
  await log.stop();
}

describe('segments', () => {
  it('segments plus batches read exactly like the batches alone', async () => {
    await fill(60);
    const before = await drive.records();
    const r = await packLog(drive.dir, { maxRecords: 25 });
    expect(r.segments.length).toBeGreaterThanOrEqual(2);
    expect(r.records).toBe(57); // the last batch (3 records) stays a batch
    const files = await readdir(join(drive.dir, 'log'));
    expect(files.filter((f) => f.startsWith('b'))).toEqual(['b000000000058.jsonl']);
    expect(await drive.records()).toEqual(before);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 60 });
    const reopened = await drive.open('r');
    expect(reopened.seq).toBe(60);
    expect(reopened.state.count).toBe(60);
    // The log goes on after packing, and a second pack takes only the new batches.
    await reopened.append([note('r', 'after pack')]);
    expect((await packLog(drive.dir)).records).toBe(3);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 61 });
  });

  it('a reader positioned before a pack finds the segment when its batch vanished', async () => {
    await fill(12);
    const cursor = new LogCursor(join(drive.dir, 'log'));
    await cursor.refreshSegments();
    const first = await cursor.readNext();
    expect(first).toMatchObject({ kind: 'records', file: 'b000000000001.jsonl' });
    await packLog(drive.dir); // removes b4, b7 under the reader's feet (no refresh in between)
    const seqs: number[] = [];
    for (;;) {
      const step = await cursor.readNext();
      if (step.kind !== 'records') break;
      seqs.push(...step.entries.map((e) => e.record.seq));
    }
    expect(seqs).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('a pack that stopped before removing its batches leaves a log that reads the same, and is finished by the next pack', async () => {
    await fill(9);
    const before = await drive.records();
    await packLog(drive.dir);
    // Forge the leftover: batch 1 back in place (identical content to the segment's first records).
    const seg = (await readdir(join(drive.dir, 'log', 'segments')))[0]!;
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(join(drive.dir, 'log', 'segments', seg), 'utf8')).split('\n').slice(0, 3);
    const { fileBytes } = await import('../../src/events/batch-file.js');
    const last = JSON.parse(lines[2]!) as { hash: string };
    await writeFile(
      join(drive.dir, 'log', 'b000000000001.jsonl'),
      fileBytes(lines, { count: 3, first: 1, last: last.hash }),
    );
    expect(await drive.records()).toEqual(before);
    expect((await packLog(drive.dir)).batchesRemoved).toBe(1);
    expect(await drive.records()).toEqual(before);
  });
});

describe('snapshots', () => {
  it('open uses the newest snapshot whose hash matches the log, replaying only the tail', async () => {
    await fill(30);
    const records = await drive.records();
    const at = records[19]!;
    // A forged but matching snapshot: same provenance, a count that shows it was used.
    await writeSnapshotFile(
      drive.dir,
      { seq: 20, term: 0, hash: at.hash },
      testProjector.toSnapshot({ ...testProjector.initial(), seq: 20, hash: at.hash, count: 1000 }),
    );
    const log = await drive.open('r');
    expect(log.seq).toBe(30);
    expect(log.state.count).toBe(1010);
  });

  it('a snapshot that does not match the log is not used (warned), and an older one or a full replay is', async () => {
    await fill(30);
    const records = await drive.records();
    const wrongHash = 'f'.repeat(64);
    await writeSnapshotFile(
      drive.dir,
      { seq: 25, term: 0, hash: wrongHash },
      testProjector.toSnapshot({ ...testProjector.initial(), seq: 25, hash: wrongHash, count: 5000 }),
    );
    const warnings: unknown[] = [];
    const logger = silentLogger.child({});
    logger.warn = (obj: unknown) => {
      warnings.push(obj);
    };
    const full = await drive.open('r', { logger });
    expect(full.state.count).toBe(30);
    expect(warnings).toEqual([expect.objectContaining({ code: 'E_SNAPSHOT_MISMATCH', seq: 25 })]);

    const at = records[9]!;
    await writeSnapshotFile(
      drive.dir,
      { seq: 10, term: 0, hash: at.hash },
      testProjector.toSnapshot({ ...testProjector.initial(), seq: 10, hash: at.hash, count: 100 }),
    );
    const older = await drive.open('r2', { logger });
    expect(older.state.count).toBe(120);
  });

  it('writeSnapshot names the file by seq, term and hash, keeps the newest three, and a reopen equals a full replay', async () => {
    const log = await drive.open('w', { snapshotEvery: 0 });
    for (let i = 0; i < 5; i++) {
      await log.append([note('w', `n${i}`)]);
      await log.writeSnapshot();
    }
    const snaps = await listSnapshots(drive.dir);
    expect(snaps.map((s) => s.seq)).toEqual([5, 4, 3]);
    expect(snaps[0]!.file).toBe(snapshotName({ seq: 5, term: 0, hash: log.state.hash }));
    const reopened = await drive.open('r');
    expect(reopened.state).toEqual(log.state);
  });

  it(
    'property: snapshot at any seq plus the tail equals a full replay, over batches and segments',
    { timeout: 120_000 },
    async () => {
      await fill(40, 4);
      await packLog(drive.dir, { maxRecords: 12 });
      const full = await drive.open('full');
      const records = await drive.records();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (k) => {
          const { rm } = await import('node:fs/promises');
          await rm(join(drive.dir, 'snapshots'), { recursive: true, force: true });
          let s = testProjector.initial();
          for (const r of records.slice(0, k)) s = testProjector.apply(s, r);
          await writeSnapshotFile(drive.dir, testProjector.provenance(s), testProjector.toSnapshot(s));
          const loaded: unknown[] = [];
          const logger = silentLogger.child({});
          logger.info = (obj: unknown) => {
            // The 'loaded snapshot' line (a long tail also logs that a worker checks it).
            if (typeof obj === 'object' && obj !== null && 'file' in obj) loaded.push(obj);
          };
          const log = await drive.open(`split${k}`, { logger });
          expect(loaded).toEqual([expect.objectContaining({ seq: k })]);
          expect(log.state).toEqual(full.state);
          await log.stop();
        }),
        { numRuns: 15 },
      );
    },
  );
});
