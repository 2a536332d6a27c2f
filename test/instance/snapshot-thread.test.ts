// Snapshots off the event loop: a worker thread rebuilds the projections from the drive and writes
// the snapshot with the log's own encoder; the log writes a due snapshot only where snapshotWhen
// says so, through its snapshotWriter.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateLog } from '../../bench/common/large-log.js';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import { listSnapshots, readSnapshotFile } from '../../src/events/snapshot-store.js';
import { writeSnapshotOffThread } from '../../src/instance/snapshot-thread.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { note } from '../events/test-projector.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'darkroom-snapthread-'));
  dirs.push(d);
  return d;
}

async function openLog(dir: string, more: Partial<Parameters<typeof EventLog.open>[0]> = {}) {
  return EventLog.open<ProjectionState>({
    sharedDir: dir,
    writer: { by: 'w', inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
    ...more,
  } as Parameters<typeof EventLog.open<ProjectionState>>[0]);
}

describe('writeSnapshotOffThread', () => {
  it('writes the snapshot a full replay in this thread would write, named by the seq it covers', async () => {
    const dir = await tempDir();
    await generateLog(dir, 5_000);
    const log = await openLog(dir);
    const expected = darkroomProjector.toSnapshot(log.state);
    const p = darkroomProjector.provenance(log.state);
    await log.stop();

    const written = await writeSnapshotOffThread(dir);
    expect(written.seq).toBe(5_000);
    const [snap] = await listSnapshots(dir);
    expect(snap).toMatchObject({ file: written.file, seq: p.seq, term: p.term, hash: p.hash });
    const body = await readSnapshotFile(dir, written.file!);
    expect(body.state).toEqual(JSON.parse(JSON.stringify(expected)));

    const reopened = await openLog(dir);
    expect(darkroomProjector.toSnapshot(reopened.state)).toEqual(expected);
    await reopened.stop();
  });

  it('an empty log gives no snapshot', async () => {
    const dir = await tempDir();
    await initLog(dir);
    await (await openLog(dir)).stop();
    expect(await writeSnapshotOffThread(dir)).toEqual({ file: undefined, seq: 0 });
  });
});

describe('EventLog: snapshotWhen and snapshotWriter', () => {
  it('a due snapshot is written through the writer only while snapshotWhen says so', async () => {
    const dir = await tempDir();
    await initLog(dir);
    let mine = false;
    const calls: number[] = [];
    const log = await openLog(dir, {
      snapshotEvery: 5,
      snapshotWhen: () => mine,
      snapshotWriter: async () => {
        calls.push(log.seq);
        return 'x';
      },
    });
    for (let i = 0; i < 12; i++) await log.append([note('w', `n${i}`)]);
    expect(calls).toEqual([]);
    mine = true;
    await log.append([note('w', 'due now')]);
    const deadline = performance.now() + 5_000;
    while (calls.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([13]);
    for (let i = 0; i < 3; i++) await log.append([note('w', `m${i}`)]);
    expect(calls).toEqual([13]);
    expect(await listSnapshots(dir)).toEqual([]);
    await log.stop();
  });
});
