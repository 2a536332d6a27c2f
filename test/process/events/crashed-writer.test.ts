// A writer process SIGKILLed at each step of an append, and a writer SIGSTOPped while holding
// the append lock for longer than its stale time while another writer goes on.
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchCrashPoints } from '../../../src/events/crash-point.js';
import { initLog } from '../../../src/events/log-init.js';
import { EventLog } from '../../../src/events/event-log.js';
import type { LogRecord } from '../../../src/events/log-record.js';
import { readRecords, verifyLog } from '../../../src/events/log-reader.js';
import { note, testProjector } from '../../events/test-projector.js';
import { acked, runWriter } from './writer-process.js';

const STALE_MS = 2000;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function allRecords(shared: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const { record } of readRecords(shared)) out.push(record);
  return out;
}

function noteTexts(records: readonly LogRecord[], author: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of records) {
    if (r.type === 'OperatorNote' && r.data.author === author)
      m.set(r.data.text, [...(m.get(r.data.text) ?? []), r.seq]);
  }
  return m;
}

async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a writer killed at a crash point', () => {
  for (const point of batchCrashPoints) {
    it(`at ${point}: the next append repairs what must be, verify passes, no acknowledged event is missing`, async () => {
      dir = await mkdtemp(join(tmpdir(), 'darkroom-crash-'));
      await initLog(dir);
      const w = runWriter('log-writer-crash', {
        sharedDir: dir,
        author: 'victim',
        before: 3,
        crashAt: point,
        staleMs: STALE_MS,
      });
      const exit = await w.exited;
      expect(exit.signal, exit.stderr).toBe('SIGKILL');
      const before = acked(w.lines);
      expect(before.size).toBe(3);

      const next = await EventLog.open({
        sharedDir: dir,
        writer: { by: 'next', inc: 0 },
        projector: testProjector,
        snapshotEvery: 0,
        lock: { staleMs: STALE_MS },
      });
      const [after] = await next.append([note('next', 'after')]);
      await next.stop();

      const verified = await verifyLog(dir);
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
      expect(verified.lastSeq).toBe(after!.seq);
      const records = await allRecords(dir);
      const texts = noteTexts(records, 'victim');
      for (const [text, seq] of before) expect(texts.get(text)).toEqual([seq]);
      const repaired = records.filter((r) => r.type === 'BatchRepaired');
      const torn = await readdir(join(dir, 'log', 'torn')).catch(() => []);
      if (point === 'mid-write') {
        expect(repaired).toHaveLength(1);
        expect(torn).toHaveLength(1);
        expect(texts.has('armed')).toBe(false);
        expect(repaired[0]!.seq).toBe(4);
      } else {
        expect(repaired).toHaveLength(0);
        expect(torn).toHaveLength(0);
        // Written but never acknowledged (before-fsync, after-fsync) is allowed to stay; never created is absent.
        expect(texts.has('armed')).toBe(point !== 'before-create');
      }
    });
  }
});

describe('a writer paused (SIGSTOP) holding the lock longer than the stale time', () => {
  for (const point of ['before-create', 'mid-write'] as const) {
    it(`at ${point}: nothing acknowledged is lost; its batch is reported not acknowledged or written at a fresh seq`, async () => {
      dir = await mkdtemp(join(tmpdir(), 'darkroom-pause-'));
      await initLog(dir);
      const shared = dir;
      const paused = runWriter('log-writer-crash', {
        sharedDir: shared,
        author: 'paused',
        before: 2,
        pauseAt: point,
        staleMs: STALE_MS,
      });
      await paused.waitForLine((l) => l === 'ARMED');
      await waitUntil(
        'the writer to stop itself',
        async () => (await processState(paused.child.pid!)) === 'T',
      );

      const other = await EventLog.open({
        sharedDir: shared,
        writer: { by: 'other', inc: 0 },
        projector: testProjector,
        snapshotEvery: 0,
        lock: { staleMs: STALE_MS },
      });
      const otherAcks = new Map<string, number>();
      for (let i = 0; i < 5; i++) {
        const [r] = await other.append([note('other', `o${i}`)]);
        otherAcks.set(`o${i}`, r!.seq);
      }
      paused.child.kill('SIGCONT');
      const exit = await paused.exited;
      expect(exit.code, `${paused.lines.join(' | ')}\n${exit.stderr}`).toBe(0);
      await other.catchUp();
      await other.stop();

      const verified = await verifyLog(shared);
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
      const records = await allRecords(shared);
      const otherTexts = noteTexts(records, 'other');
      for (const [text, seq] of otherAcks) expect(otherTexts.get(text)).toEqual([seq]);
      const pausedTexts = noteTexts(records, 'paused');
      for (const [text, seq] of acked(paused.lines)) expect(pausedTexts.get(text)).toEqual([seq]);
      // The first attempt was refused (its seq was taken meanwhile); the retry is written at a fresh seq.
      expect(paused.lines.some((l) => l.startsWith('NACK E_LOG_'))).toBe(true);
      const armed = acked(paused.lines).get('armed');
      expect(armed).toBeGreaterThan(Math.max(...otherAcks.values()));
      expect(pausedTexts.get('armed')).toEqual([armed]);
      if (point === 'mid-write') expect(records.filter((r) => r.type === 'BatchRepaired')).toHaveLength(1);
    });
  }
});
