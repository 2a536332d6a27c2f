// A handle waiting for the append lock (another writer holds it) still reads the log: catchUp and
// whenApplied do not queue behind the lock. A worker's attempt check before publishing is such a
// catch-up; it used to wait for this instance's next append to get the lock (bench:cluster: the
// no-op job's check took most of its file work).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireAppendLock } from '../../src/events/append-lock.js';
import { tempDrive, type Drive } from './log-fixture.js';
import { note } from './test-projector.js';

let drive: Drive;
beforeEach(async () => {
  drive = await tempDrive();
});
afterEach(async () => {
  await drive.cleanup();
});

describe('EventLog: reading while waiting for the append lock', () => {
  it('catchUp reads a batch written by another handle while this one waits for the lock', async () => {
    const waiter = await drive.open('w');
    const other = await drive.open('o');
    await other.append([note('o', 'first')]);
    // Another writer holds the lock (refreshed, never stale) until this test lets it go.
    const held = await acquireAppendLock(join(drive.dir, 'log'));
    const pending = waiter.append([note('w', 'waits for the lock')]);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await held.release();
    };
    try {
      // Give the waiter's write loop the chance to be waiting on the lock before the read.
      await new Promise((r) => setImmediate(r));
      const outcome = await Promise.race([
        waiter.catchUp().then((seq) => ({ caughtUp: seq })),
        new Promise<{ caughtUp: undefined }>((r) => setTimeout(() => r({ caughtUp: undefined }), 15_000)),
      ]);
      // Read while the lock was still held: seq 1 (the other handle's note), not after the release.
      expect(outcome.caughtUp).toBe(1);
      expect(released).toBe(false);
    } finally {
      await release();
    }
    const [rec] = await pending;
    expect(rec!.seq).toBe(2);
    expect((await drive.records()).map((r) => r.data)).toEqual([
      { author: 'o', text: 'first' },
      { author: 'w', text: 'waits for the lock' },
    ]);
  });
});
