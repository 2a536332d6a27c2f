import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { verifyLog } from '../../src/events/log-reader.js';
import { submitted, tempDrive, type Drive } from './log-fixture.js';
import { elected, note } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

async function batchFiles(): Promise<string[]> {
  return (await readdir(join(drive.dir, 'log'))).filter((n) => n.startsWith('b'));
}

describe('EventLog.append', () => {
  it('writes records with the envelope and resolves once applied', async () => {
    const log = await drive.open('press1');
    log.setWriter('press1', 7);
    const recs = await log.append([elected('press1', 1), note('ann', 'hello')]);
    expect(recs.map((r) => [r.seq, r.by, r.inc, r.term, r.type])).toEqual([
      [1, 'press1', 7, 0, 'CoordinatorElected'],
      // The envelope term is the term at the tip when the append was made.
      [2, 'press1', 7, 0, 'OperatorNote'],
    ]);
    expect(log.seq).toBe(2);
    expect(log.state.term).toBe(1);
    expect(await drive.records()).toEqual(recs);
    const [next] = await log.append([note('ann', 'after election')]);
    expect(next!.term).toBe(1);
  });

  it('refuses the whole append when a condition fails, naming it, and writes nothing', async () => {
    const log = await drive.open();
    await log.append([note('ann', 'one')]);
    const err: unknown = await log
      .append([note('ann', 'a'), note('ann', 'b')], { conditions: [{ kind: 'term', term: 4 }] })
      .catch((e: unknown) => e);
    expect(isDarkroomError(err, 'E_LOG_CONDITION_FAILED')).toBe(true);
    expect((err as Error).message).toContain('coordinator term is 4');
    expect(log.seq).toBe(1);
    expect((await verifyLog(drive.dir)).lastSeq).toBe(1);
  });

  it('refuses an event whose data breaks its schema before writing', async () => {
    const log = await drive.open();
    const bad = { type: 'OperatorNote', data: { author: '', text: 'x' } } as unknown as ReturnType<
      typeof note
    >;
    await expect(log.append([bad])).rejects.toMatchObject({
      code: 'E_LOG_RECORD_INVALID',
      fields: { field: 'data.author' },
    });
    expect(await batchFiles()).toEqual([]);
  });
});

describe('group commit', () => {
  it('puts appends arriving during a write into one batch, each checked after the earlier ones', async () => {
    const log = await drive.open();
    await log.append([note('ann', 'first')]);
    const results = await Promise.allSettled([
      log.append([submitted('j1')], { conditions: [{ kind: 'jobAbsent', jobId: 'j1' }] }),
      log.append([submitted('j1')], { conditions: [{ kind: 'jobAbsent', jobId: 'j1' }] }),
      ...Array.from({ length: 30 }, (_, i) => log.append([note('ann', `n${i}`)])),
    ]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'E_LOG_CONDITION_FAILED' } });
    expect(results.slice(2).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(log.seq).toBe(32);
    expect((await batchFiles()).length).toBeLessThan(10);
    const seqs = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.map((x) => x.seq) : []));
    expect(seqs).toEqual(Array.from({ length: 31 }, (_, i) => i + 2));
  });

  it('puts appends made in the same synchronous run into one batch, each with its own conditions', async () => {
    const log = await drive.open();
    // No write in flight: the first append must not leave alone while the others are queued.
    const results = await Promise.allSettled([
      log.append([submitted('j1')], { conditions: [{ kind: 'jobAbsent', jobId: 'j1' }] }),
      log.append([submitted('j1')], { conditions: [{ kind: 'jobAbsent', jobId: 'j1' }] }),
      log.append([note('ann', 'a')]),
      log.append([note('ann', 'b')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await batchFiles()).toHaveLength(1);
    expect(log.seq).toBe(3);
  });

  it('writes one batch per append when off', async () => {
    const log = await drive.open('press1', { groupCommit: false });
    await Promise.all(Array.from({ length: 6 }, (_, i) => log.append([note('ann', `n${i}`)])));
    expect(await batchFiles()).toHaveLength(6);
  });
});

describe('two writers on one drive', () => {
  it('take turns by exclusive create: the seq stays contiguous and both states agree', async () => {
    const a = await drive.open('a');
    const b = await drive.open('b');
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => a.append([note('a', String(i))])),
      ...Array.from({ length: 40 }, (_, i) => b.append([note('b', String(i))])),
    ]);
    await a.catchUp();
    await b.catchUp();
    expect(a.seq).toBe(80);
    expect(b.state).toEqual(a.state);
    expect(await verifyLog(drive.dir)).toEqual({ ok: true, lastSeq: 80 });
  });

  it('a stale writer re-checks its conditions at the new tip after EEXIST', async () => {
    const a = await drive.open('a');
    const b = await drive.open('b');
    await a.append([submitted('j9')]);
    // b has not caught up: its view says j9 is absent, the log says otherwise.
    await expect(
      b.append([submitted('j9')], { conditions: [{ kind: 'jobAbsent', jobId: 'j9' }] }),
    ).rejects.toMatchObject({
      code: 'E_LOG_CONDITION_FAILED',
    });
    expect(b.seq).toBe(1);
  });
});

describe('following', () => {
  it('a reader sees another writer through whenApplied, wake and onApplied; undo stops the listener', async () => {
    const writer = await drive.open('w');
    const reader = await drive.open('r', { pollMs: 20 });
    const seen: number[] = [];
    const undo = reader.onApplied((recs) => seen.push(...recs.map((r) => r.seq)));
    reader.startFollowing();
    await writer.append([note('w', '1'), note('w', '2')]);
    reader.wake();
    const state = await reader.whenApplied(2, 10_000);
    expect(state.count).toBe(2);
    expect(seen).toEqual([1, 2]);
    undo();
    await writer.append([note('w', '3')]);
    await reader.whenApplied(3, 10_000);
    expect(seen).toEqual([1, 2]);
  });

  it('whenApplied times out with E_LOG_UNREACHABLE when the seq never comes', async () => {
    const log = await drive.open('r', { pollMs: 10 });
    await expect(log.whenApplied(5, 50)).rejects.toMatchObject({ code: 'E_LOG_UNREACHABLE' });
  });
});

describe('lifecycle', () => {
  it('stop is idempotent, reports stopped, and later appends are not acknowledged', async () => {
    const log = await drive.open();
    expect(log.status()).toBe('running');
    const p1 = log.stop();
    expect(log.stop()).toBe(p1);
    await p1;
    expect(log.status()).toBe('stopped');
    await expect(log.append([note('ann', 'late')])).rejects.toMatchObject({ code: 'E_LOG_NOT_ACKNOWLEDGED' });
  });
});
