// The event log through caching views of one drive (bindfs with entry/attr/negative timeouts, as
// NFS and SMB clients cache): several writer processes, each on its own view, append at once.
// Invariant 3: the chain verifies, the seq is contiguous, and every acknowledged append is in the
// log exactly once. The lock's stale time is set well above the views' cache time, as documented.
import { cp, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchName } from '../../src/events/batch-file.js';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import { note, testProjector } from '../events/test-projector.js';
import { allRecords, cli, waitFor } from '../fixtures/instance-drive.js';
import { runWriter, type WriterRun } from '../process/events/writer-process.js';
import { BindfsView } from './harness/bindfs-view.js';
import { readLog } from './harness/log-peek.js';

const views: BindfsView[] = [];
let root: string | undefined;
const writers: WriterRun[] = [];

afterEach(async () => {
  for (const w of writers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  for (const v of views.splice(0)) await v.unmount();
  if (root !== undefined && process.env['DARKROOM_KEEP_TMP'] === undefined)
    await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('event log: writers on their own caching views of the drive', () => {
  it('three writers that also follow the log, 2 s caches, lock stale 6 s: contiguous, chain verifies, every acknowledged append present once', async () => {
    root = await mkdtemp(join(tmpdir(), 'darkroom-faults-views-'));
    const real = join(root, 'real');
    await initLog(real);
    const count = 40;
    for (const name of ['w1', 'w2', 'w3']) {
      const v = new BindfsView(real, join(root, 'views', name), { cacheS: 2 });
      views.push(v);
      await v.mount();
    }
    // The first writer creates the log; the others follow it through their views.
    for (const [i, v] of views.entries()) {
      writers.push(
        runWriter('log-writer-notes', {
          sharedDir: v.mountPoint,
          author: `w${i + 1}`,
          count,
          inFlight: 2,
          lock: { staleMs: 6000, updateMs: 500 },
          follow: 20,
        }),
      );
    }
    const ends = await Promise.all(writers.map((w) => w.exited));
    const acked = writers.flatMap((w, i) =>
      w.lines
        .filter((l) => l.startsWith('ACK '))
        .map((l) => ({ author: `w${i + 1}`, seq: Number(l.split(' ')[1]), text: l.split(' ')[2]! })),
    );
    const { records, damage } = await readLog(real);
    const verify = await cli(['log', 'verify', '--shared', real]);
    const report = `exits ${JSON.stringify(ends.map((e) => [e.code, e.signal, e.stderr.slice(-300)]))}\nverify: ${verify.out}${verify.err}\nrecords ${records.length}, acked ${acked.length}`;
    expect(damage, report).toBeUndefined();
    expect(verify.code, report).toBe(0);
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const lost = acked.filter(({ author, seq, text }) => {
      const r = bySeq.get(seq);
      return r?.type !== 'OperatorNote' || r.data.author !== author || r.data.text !== text;
    });
    expect(lost, report).toEqual([]);
    expect((await allRecords(real)).length).toBe(records.length);
  }, 180_000);
});

describe('event log: a reader that saw the next batch while it was being written', () => {
  it('does not move that batch aside as torn once it is complete (its append was acknowledged)', async () => {
    root = await mkdtemp(join(tmpdir(), 'darkroom-faults-views-'));
    const real = join(root, 'real');
    await initLog(real);
    const view = new BindfsView(real, join(root, 'views', 'b'), { cacheS: 3 });
    views.push(view);
    await view.mount();
    const lock = { staleMs: 8000, updateMs: 500 };
    const a = await EventLog.open({
      sharedDir: real,
      writer: { by: 'a', inc: 0 },
      projector: testProjector,
      snapshotEvery: 0,
      lock,
    });
    const b = await EventLog.open({
      sharedDir: view.mountPoint,
      writer: { by: 'b', inc: 0 },
      projector: testProjector,
      snapshotEvery: 0,
      lock,
    });
    const scratch = join(root, 'scratch');
    try {
      await a.append([note('a', 'one')]);
      await waitFor('b sees seq 1 through its view', async () => (await b.catchUp()) === 1, 20_000);
      // Writer a is between its exclusive create of the next batch and its write: the file exists,
      // empty, and reader b looks at it (its view caches the size) while following the log.
      const fh = await open(join(real, 'log', batchName(2)), 'wx');
      await b.catchUp();
      // a's write completes: the same bytes a's append makes (made on a copy of the log at seq 1),
      // written into the same file, fsynced. a would now read it back and acknowledge it.
      await cp(join(real, 'log'), join(scratch, 'log'), {
        recursive: true,
        filter: (src) => !src.endsWith(batchName(2)),
      });
      const copy = await EventLog.open({
        sharedDir: scratch,
        writer: { by: 'a', inc: 0 },
        projector: testProjector,
        snapshotEvery: 0,
      });
      await copy.append([note('a', 'two')]);
      await copy.stop();
      await fh.write(await readFile(join(scratch, 'log', batchName(2))));
      await fh.sync();
      await fh.close();
      // b appends within its view's cache time: it must read the batch as it is, not as cached.
      await b.append([note('b', 'three')]);
    } finally {
      await a.stop();
      await b.stop();
    }
    const { records, damage } = await readLog(real);
    const texts = records.map((r) => (r.type === 'OperatorNote' ? r.data.text : r.type));
    expect(damage, texts.join(', ')).toBeUndefined();
    expect(texts, 'the acknowledged note "two" must stay in the log').toContain('two');
    expect(texts).toContain('three');
  }, 60_000);
});
