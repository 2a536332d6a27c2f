// `darkroom log ...` run in-process through main() with captured output, on a temp shared drive.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EventLog } from '../../src/events/event-log.js';
import {
  listSnapshots,
  snapshotName,
  snapshotsDir,
  writeSnapshotFile,
} from '../../src/events/snapshot-store.js';
import { darkroomProjector } from '../../src/projections/projector.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-cli-'));
  expect(await run('log', 'init', '--shared', dir)).toMatchObject({
    code: 0,
    out: expect.stringContaining('created a new, empty log'),
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'darkroom', ...args], {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
  });
  return { code, out, err };
}

describe('a drive without a log (a share not mounted)', () => {
  it('every log command refuses it with E_LOG_UNREACHABLE and the fix; only log init creates a log', async () => {
    for (const where of [join(dir, 'missing'), join(dir, 'empty')]) {
      if (where.endsWith('empty')) await mkdir(where);
      for (const args of [
        ['verify'],
        ['stats'],
        ['show', '--from', '1'],
        ['tail'],
        ['note', 'x'],
        ['pack'],
        ['snapshot'],
      ]) {
        const r = await run('log', ...args, '--shared', where);
        expect(r.code, `log ${args[0]} on ${where}`).toBe(74);
        expect(r.err).toContain('E_LOG_UNREACHABLE');
        expect(r.err).toContain(`is the share mounted at ${where}?`);
      }
      if (where.endsWith('missing')) await expect(readdir(where)).rejects.toMatchObject({ code: 'ENOENT' });
      else expect(await readdir(where)).toEqual([]);
    }
    expect((await run('log', 'init', '--shared', join(dir, 'empty'))).out).toContain(
      'created a new, empty log',
    );
    expect((await run('log', 'init', '--shared', join(dir, 'empty'))).out).toContain('already holds a log');
    expect((await run('log', 'verify', '--shared', join(dir, 'empty'))).code).toBe(0);
  });

  it('start, channel and doctor refuse it too; conf init creates the log unless --no-log', async () => {
    const conf = join(dir, 'c.conf');
    const unmounted = join(dir, 'mnt', 'press');
    const init = [
      'conf',
      'init',
      '--out',
      conf,
      '--shared',
      unmounted,
      '--server',
      'a@127.0.0.1:17980:17981',
    ];
    expect(await run(...init, '--no-log')).toMatchObject({ code: 0 });
    for (const args of [
      ['start'],
      ['channel', 'list'],
      ['channel', 'add', 'x', '--type', 'process'],
      ['doctor'],
    ]) {
      const r = await run(...args, '--conf', conf);
      expect(r.code, args.join(' ')).toBe(74);
      expect(r.err).toContain(`is the share mounted at ${unmounted}?`);
    }
    await expect(readdir(unmounted)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await run(...init, '--force')).toMatchObject({
      code: 0,
      out: expect.stringContaining('created a new, empty log'),
    });
    expect((await run('channel', 'list', '--conf', conf)).code).toBe(0);
  });
});

describe('darkroom log', () => {
  it('note appends an OperatorNote with the author; show, tail and stats list it', async () => {
    expect(
      await run('log', 'note', 'disk swapped in press2', '--author', 'ann', '--shared', dir),
    ).toMatchObject({
      code: 0,
      out: 'note written at seq 1\n',
    });
    await run('log', 'note', 'second', '--author', 'bob', '--shared', dir);
    const shown = await run('log', 'show', '--from', '2', '--json', '--shared', dir);
    expect(JSON.parse(shown.out)).toMatchObject({
      seq: 2,
      by: 'cli:bob',
      type: 'OperatorNote',
      data: { author: 'bob', text: 'second' },
    });
    const tail = await run('log', 'tail', '-n', '1', '--shared', dir);
    expect(tail.out.trim().split('\n')).toHaveLength(1);
    expect(tail.out).toContain('second');
    const typed = await run('log', 'tail', '--type', 'OperatorNote', '--json', '--shared', dir);
    expect(
      typed.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([1, 2]);
    expect(await run('log', 'tail', '--type', 'OperatorNoted', '--shared', dir)).toMatchObject({
      code: 2,
      err: expect.stringContaining('not an event type'),
    });
    const stats = await run('log', 'stats', '--json', '--shared', dir);
    expect(JSON.parse(stats.out)).toMatchObject({
      lastSeq: 2,
      events: 2,
      byType: { OperatorNote: 2 },
      batches: 2,
      segments: 0,
    });
  });

  it('tail --job keeps only records about that job', async () => {
    const { EventLog } = await import('../../src/events/event-log.js');
    const { darkroomProjector } = await import('../../src/projections/projector.js');
    const log = await EventLog.open({
      sharedDir: dir,
      writer: { by: 'p', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
    });
    const job = (jobId: string) =>
      ({
        type: 'JobSubmitted',
        data: {
          jobId,
          channel: 'news',
          source: 's',
          relPath: 'a.jpg',
          workDir: `work/${jobId}`,
          file: 'a.jpg',
          bytes: 1,
          submittedBy: 'p',
        },
      }) as const;
    await log.append([job('j1'), job('j2'), job('j1b')]);
    await log.stop();
    const r = await run('log', 'tail', '--job', 'j2', '--json', '--shared', dir);
    expect(
      r.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([2]);
  });

  it('verify passes on a sound log and exits 1 naming the seq, file and line of one changed byte', async () => {
    for (const t of ['one', 'two', 'three']) await run('log', 'note', t, '--author', 'ann', '--shared', dir);
    expect(await run('log', 'verify', '--shared', dir)).toMatchObject({
      code: 0,
      out: expect.stringContaining('seq 1..3'),
    });
    const file = join(dir, 'log', 'b000000000002.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"two"', '"twO"'));
    const bad = await run('log', 'verify', '--shared', dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('log BROKEN at seq 2: b000000000002.jsonl byte 0 (line 1): hash mismatch');
  });

  it('pack and snapshot are operator triggers; the log reads the same afterwards', async () => {
    for (const t of ['one', 'two', 'three']) await run('log', 'note', t, '--author', 'ann', '--shared', dir);
    expect((await run('log', 'pack', '--shared', dir)).out).toContain('packed 2 records');
    expect((await run('log', 'snapshot', '--shared', dir)).out).toMatch(
      /snapshot 000000000003-t0-[0-9a-f]{64}\.json written/,
    );
    const stats = JSON.parse((await run('log', 'stats', '--json', '--shared', dir)).out) as {
      lastSeq: number;
      segments: number;
      snapshots: unknown[];
    };
    expect(stats).toMatchObject({
      lastSeq: 3,
      segments: 1,
      snapshots: [expect.objectContaining({ seq: 3 })],
    });
    expect((await run('log', 'verify', '--shared', dir)).code).toBe(0);
  });

  it('verify reports every snapshot: OK, or IGNORED with the code (changed, unreadable, undigested); exit 1 when one is damaged', async () => {
    await run(
      'channel',
      'add',
      'victim',
      '--type',
      'process',
      '--no-mkdir',
      '--set',
      'pipeline.output.jpegQuality=90',
      '--shared',
      dir,
    );
    expect((await run('log', 'snapshot', '--shared', dir)).code).toBe(0);
    await run('log', 'note', 'two', '--author', 'ann', '--shared', dir);
    expect((await run('log', 'snapshot', '--shared', dir)).code).toBe(0);
    const ok = await run('log', 'verify', '--shared', dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      /snapshot seq 1 term 0 \(000000000001-t0-[0-9a-f]{64}\.json\): OK, digest verified\n/,
    );
    expect(ok.out).toMatch(/snapshot seq 2 term 0 .*: OK, digest verified\n/);
    expect(ok.out).toContain('snapshots: 2 of 2 usable; snapshots OK');

    const [second, first] = await listSnapshots(dir);
    const firstPath = join(snapshotsDir(dir), first!.file);
    await writeFile(
      firstPath,
      (await readFile(firstPath, 'utf8')).replace('"jpegQuality":90', '"jpegQuality":10'),
    );
    const secondPath = join(snapshotsDir(dir), second!.file);
    await writeFile(secondPath, 'not a snapshot');
    const bad = await run('log', 'verify', '--shared', dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('log OK');
    expect(bad.err).toMatch(/snapshot seq 1 term 0 .*: IGNORED, E_SNAPSHOT_DIGEST_MISMATCH: /);
    expect(bad.err).toMatch(/snapshot seq 2 term 0 .*: IGNORED, E_SNAPSHOT_UNREADABLE: /);
    expect(bad.err).toContain('snapshots: 0 of 2 usable; snapshots DAMAGED');
    const json = JSON.parse((await run('log', 'verify', '--json', '--shared', dir)).out) as {
      ok: boolean;
      snapshotsOk: boolean;
      snapshots: { seq: number; status: string; code?: string }[];
    };
    expect(json).toMatchObject({
      ok: true,
      snapshotsOk: false,
      snapshots: [
        { seq: 1, status: 'ignored', code: 'E_SNAPSHOT_DIGEST_MISMATCH' },
        { seq: 2, status: 'ignored', code: 'E_SNAPSHOT_UNREADABLE' },
      ],
    });

    // Written by an older darkroom (no digest): ignored, reported, but no cause for exit 1.
    await rm(secondPath);
    await rm(firstPath);
    const log = await EventLog.open({
      sharedDir: dir,
      writer: { by: 't', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
    });
    const p = darkroomProjector.provenance(log.state);
    await log.stop();
    await writeFile(
      join(snapshotsDir(dir), snapshotName(p)),
      JSON.stringify({ ...p, formatLevel: 1, state: darkroomProjector.toSnapshot(log.state) }),
    );
    const old = await run('log', 'verify', '--shared', dir);
    expect(old.code).toBe(0);
    expect(old.out).toMatch(/snapshot seq 2 term 0 .*: IGNORED, E_SNAPSHOT_UNDIGESTED: /);
  });

  it('verify --snapshots compares each snapshot with a replay and names the first difference, even under a recomputed digest', async () => {
    await run(
      'channel',
      'add',
      'victim',
      '--type',
      'process',
      '--no-mkdir',
      '--set',
      'pipeline.output.jpegQuality=90',
      '--shared',
      dir,
    );
    expect((await run('log', 'snapshot', '--shared', dir)).code).toBe(0);
    const good = await run('log', 'verify', '--snapshots', '--shared', dir);
    expect(good.code).toBe(0);
    expect(good.out).toContain('OK, digest verified; its state equals a replay of the log to seq 1');
    expect(good.out).toContain('snapshots: 1 of 1 usable, 1 equal to a replay; snapshots OK');

    // A forgery with a valid digest: the body changed and the digest recomputed for it.
    const log = await EventLog.open({
      sharedDir: dir,
      writer: { by: 't', inc: 0 },
      projector: darkroomProjector,
      snapshotEvery: 0,
    });
    const json = JSON.parse(JSON.stringify(darkroomProjector.toSnapshot(log.state))) as {
      config: { channels: { settings: { pipeline: { output: { jpegQuality: number } } } }[] };
    };
    json.config.channels[0]!.settings.pipeline.output.jpegQuality = 10;
    await writeSnapshotFile(dir, darkroomProjector.provenance(log.state), json);
    await log.stop();
    const plain = await run('log', 'verify', '--shared', dir);
    expect(plain.code).toBe(0); // the digest holds: only a replay can tell
    const forged = await run('log', 'verify', '--snapshots', '--shared', dir);
    expect(forged.code).toBe(1);
    expect(forged.err).toContain(
      'its state DIFFERS from a replay of the log to seq 1 at state.config.channels[name=victim].settings.pipeline.output.jpegQuality: snapshot 10, replay 90',
    );
    const asJson = JSON.parse((await run('log', 'verify', '--snapshots', '--json', '--shared', dir)).out) as {
      snapshots: unknown[];
    };
    expect(asJson.snapshots).toEqual([
      expect.objectContaining({
        seq: 1,
        status: 'ok',
        replay: 'differs',
        difference: {
          path: 'state.config.channels[name=victim].settings.pipeline.output.jpegQuality',
          snapshot: '10',
          replay: '90',
        },
      }),
    ]);
  });

  it('takes the shared drive from --conf, and asks for one when neither is given', async () => {
    const conf = join(dir, 'ClaroServers.conf');
    const init = await run(
      'conf',
      'init',
      '--out',
      conf,
      '--shared',
      join(dir, 'drive'),
      '--server',
      'press1@localhost:7900:7901',
    );
    expect(init.code, init.err).toBe(0);
    expect((await run('log', 'note', 'via conf', '--author', 'ann', '--conf', conf)).code).toBe(0);
    expect((await run('log', 'show', '--from', '1', '--shared', join(dir, 'drive'))).out).toContain(
      'via conf',
    );
    expect(await run('log', 'stats')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--shared DIR or --conf FILE'),
    });
  });
});
