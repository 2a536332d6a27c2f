// The torn batch at the tip and the writers that judge it (src/events/tip-repair.ts), with real
// processes: a writer dies inside a batch write; the next writer, about to move the torn batch
// aside, is stopped (SIGSTOP) past the lock's stale time; a third writer takes the lock over,
// repairs the batch and writes an acknowledged batch under the same name; then the stopped writer
// resumes and its rename moves that batch. What was moved is not what it judged torn: it must put
// the acknowledged batch back, and nothing acknowledged may be lost or forked.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { readRecords, verifyLog } from '../../src/events/log-reader.js';
import { note, testProjector } from '../events/test-projector.js';
import { runWriter, type WriterRun } from '../process/events/writer-process.js';

const STALE_MS = 2000;
let dir: string | undefined;
const writers: WriterRun[] = [];

afterEach(async () => {
  for (const w of writers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function allRecords(shared: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const { record } of readRecords(shared)) out.push(record);
  return out;
}

const notes = (records: readonly LogRecord[], author: string): string[] =>
  records.flatMap((r) => (r.type === 'OperatorNote' && r.data.author === author ? [r.data.text] : []));

describe('a torn batch at the tip', () => {
  it('a repairer stopped before its rename while another writer repaired and wrote the same name puts that batch back: nothing acknowledged lost', async () => {
    dir = await mkdtemp(join(tmpdir(), 'darkroom-torn-tip-'));
    await initLog(dir);
    // A: one acknowledged note, then dies halfway through the next batch (the lock left behind).
    const a = runWriter('log-writer-crash', {
      sharedDir: dir,
      author: 'a',
      before: 1,
      crashAt: 'mid-write',
      staleMs: STALE_MS,
    });
    writers.push(a);
    expect((await a.exited).signal).toBe('SIGKILL');
    const torn = (await readdir(dir + '/log'))
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .at(-1)!;
    // B: takes the stale lock, judges the batch torn, and stops itself right before the rename.
    const b = runWriter('log-writer-crash', {
      sharedDir: dir,
      author: 'b',
      before: 0,
      pauseAt: 'before-repair',
      staleMs: STALE_MS,
    });
    writers.push(b);
    await waitUntil('B stopped before its rename', async () => (await processState(b.child.pid!)) === 'T');
    // C: takes the lock over from the stopped B, repairs the torn batch and writes its own there.
    const c = await EventLog.open({
      sharedDir: dir,
      writer: { by: 'c', inc: 0 },
      projector: testProjector,
      snapshotEvery: 0,
      settleMs: 0,
      lock: { staleMs: STALE_MS, updateMs: 1000 },
    });
    const [cRecord] = await c.append([note('c', 'acknowledged')]);
    await c.stop();
    const cBatch = (await readFile(join(dir, 'log', torn), 'utf8')).split('\n');
    expect(cBatch[0], 'C wrote its repair under the torn batch name').toContain('"BatchRepaired"');
    // B resumes: its rename moves C's batch; it must see that and put it back, then append.
    b.child.kill('SIGCONT');
    await b.waitForLine((l) => l === 'DONE', 60_000);
    expect(
      b.lines.filter((l) => /^ACK \d+ armed$/.test(l)),
      b.lines.join(' | '),
    ).toHaveLength(1);

    const verified = await verifyLog(dir);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
    const records = await allRecords(dir);
    expect(notes(records, 'a')).toEqual(['before-0']);
    expect(notes(records, 'c')).toEqual(['acknowledged']);
    expect(notes(records, 'b')).toEqual(['armed']);
    expect(records.find((r) => r.seq === cRecord!.seq)?.hash).toBe(cRecord!.hash);
    expect(records.filter((r) => r.type === 'BatchRepaired')).toHaveLength(1);
    // Only A's half-written batch is in log/torn/.
    const moved = await readdir(join(dir, 'log', 'torn'));
    expect(moved).toHaveLength(1);
    expect(moved[0]!.startsWith(`${torn}.`)).toBe(true);
  }, 120_000);
});
