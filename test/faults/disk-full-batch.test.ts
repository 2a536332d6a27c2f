// A full drive in the middle of a batch write (src/events/batch-file.ts), on a real tmpfs the test
// mounts: the drive is filled, then one page is given back, so the batch file is created and its
// first 4 KiB written before ENOSPC. The append fails with E_DRIVE_FULL, its half-written file is
// gone at once (no torn batch left for a later reader or repairer), the acknowledged history is
// intact, and once space is freed the same handle appends again with no repair in between.
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import { readRecords, verifyLog } from '../../src/events/log-reader.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { note, testProjector, type TestState } from '../events/test-projector.js';
import { SmallDrive, tmpfsRefused } from './harness/small-drive.js';

const refused = tmpfsRefused();
if (refused !== undefined) console.log(`disk-full batch test skipped: ${refused}`);

let root: string | undefined;
let drive: SmallDrive | undefined;
let log: EventLog<TestState> | undefined;

afterEach(async () => {
  await log?.stop();
  drive?.unmount();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
  log = undefined;
  drive = undefined;
  root = undefined;
});

async function records(shared: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const e of readRecords(shared)) out.push(e.record);
  return out;
}

describe.skipIf(refused !== undefined)('a batch write on a drive that fills up', () => {
  it('fails with E_DRIVE_FULL, leaves no half batch, and the next append after freeing space needs no repair', async () => {
    root = await mkdtemp(join(tmpdir(), 'darkroom-full-batch-'));
    const shared = join(root, 'drive');
    await mkdir(shared);
    drive = SmallDrive.mount(shared, 2);
    await initLog(shared);
    log = await EventLog.open({
      sharedDir: shared,
      writer: { by: 'w', inc: 0 },
      projector: testProjector,
      snapshotEvery: 0,
      settleMs: 0,
    });
    const [first] = await log.append([note('w', 'before the drive filled')]);
    expect(first?.seq).toBe(1);

    await drive.fill();
    // Give one page back: the batch below (about 12 KiB) is created and cut short after it.
    const filler = join(shared, '.filler');
    const fh = await open(filler, 'r+');
    await fh.truncate((await fh.stat()).size - 4096);
    await fh.close();
    const big = 'x'.repeat(6000);
    const err = await log.append([note('w', big), note('w', big)]).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(err?.code, String(err?.message)).toBe('E_DRIVE_FULL');
    expect(err?.message).toContain('b000000000002.jsonl');
    // The writer removed its own remains: no batch 2, nothing moved aside, the log verifies.
    const names = await readdir(join(shared, 'log'));
    expect(names.filter((n) => n.startsWith('b')).sort()).toEqual(['b000000000001.jsonl']);
    expect(names).not.toContain('torn');
    expect((await verifyLog(shared)).ok).toBe(true);
    expect(await stat(join(shared, 'log', 'b000000000002.jsonl')).catch(() => 'absent')).toBe('absent');

    await drive.free();
    const [after] = await log.append([note('w', 'after the space was freed')]);
    expect(after?.seq).toBe(2);
    const all = await records(shared);
    expect(all.map((r) => r.type)).toEqual(['OperatorNote', 'OperatorNote']);
    expect(all.map((r) => (r.type === 'OperatorNote' ? r.data.text : ''))).toEqual([
      'before the drive filled',
      'after the space was freed',
    ]);
    expect((await verifyLog(shared)).ok).toBe(true);
  });
});
