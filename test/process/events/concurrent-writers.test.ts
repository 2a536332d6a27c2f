// Four OS processes append 2,000 notes each to one log at the same time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initLog } from '../../../src/events/log-init.js';
import { readRecords, verifyLog } from '../../../src/events/log-reader.js';
import { acked, runWriter } from './writer-process.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('four writer processes appending concurrently', () => {
  it('yields exactly 8,000 records, seq 1..8000, a verified chain, each writer in its own order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'darkroom-log-'));
    await initLog(dir);
    const writers = ['w1', 'w2', 'w3', 'w4'].map((author) =>
      runWriter('log-writer-notes', { sharedDir: dir, author, count: 2000, inFlight: 8 }),
    );
    const exits = await Promise.all(writers.map((w) => w.exited));
    expect(
      exits.map((e) => e.code),
      exits.map((e) => e.stderr).join('\n'),
    ).toEqual([0, 0, 0, 0]);

    const verified = await verifyLog(dir);
    expect(verified).toEqual({ ok: true, lastSeq: 8000 });
    const seqs: number[] = [];
    const lastByAuthor = new Map<string, number>();
    const seen = new Map<string, Map<string, number>>();
    for await (const { record } of readRecords(dir)) {
      seqs.push(record.seq);
      if (record.type !== 'OperatorNote') throw new Error(`unexpected ${record.type} at seq ${record.seq}`);
      const { author, text } = record.data;
      const n = Number(text);
      expect(n, `${author} out of order at seq ${record.seq}`).toBeGreaterThan(
        lastByAuthor.get(author) ?? -1,
      );
      lastByAuthor.set(author, n);
      if (!seen.has(author)) seen.set(author, new Map());
      seen.get(author)!.set(text, record.seq);
    }
    expect(seqs).toEqual(Array.from({ length: 8000 }, (_, i) => i + 1));
    writers.forEach((w, i) => {
      const author = `w${i + 1}`;
      const ack = acked(w.lines);
      expect(ack.size).toBe(2000);
      expect(seen.get(author)).toEqual(ack);
    });
  });
});
