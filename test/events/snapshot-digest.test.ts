// Snapshots carry a digest of their body bound to the seq and hash they cover (issue 14, item 2):
// a changed, cut, corrupt, foreign or undigested snapshot is never taken as the state; it is
// ignored with one named warning (no stack) and the log is replayed.
import { Writable } from 'node:stream';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import { listSnapshots, snapshotsDir, writeSnapshotFile } from '../../src/events/snapshot-store.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';

let dir: string;
const others: string[] = [];
beforeEach(async () => {
  dir = await newDrive();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const d of others.splice(0)) await rm(d, { recursive: true, force: true });
});

async function newDrive(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'darkroom-snapdigest-'));
  await initLog(d);
  return d;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'darkroom', ...args], {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
  });
  return { code, out, err };
}

/** A drive with channel `victim` at jpegQuality 90 and a snapshot of it; returns the file's path. */
async function tamperTarget(drive = dir, quality = 90): Promise<string> {
  const add = await cli(
    'channel',
    'add',
    'victim',
    '--type',
    'process',
    '--no-mkdir',
    '--set',
    `pipeline.output.jpegQuality=${quality}`,
    '--shared',
    drive,
  );
  expect(add, add.err).toMatchObject({ code: 0 });
  expect((await cli('log', 'snapshot', '--shared', drive)).code).toBe(0);
  const [snap] = await listSnapshots(drive);
  return join(snapshotsDir(drive), snap!.file);
}

interface Opened {
  readonly log: EventLog<ProjectionState>;
  /** Every line the log wrote at debug level and above, parsed. */
  readonly lines: Record<string, unknown>[];
}

async function open(drive = dir, more: Partial<Parameters<typeof EventLog.open>[0]> = {}): Promise<Opened> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  const log = await EventLog.open<ProjectionState>({
    sharedDir: drive,
    writer: { by: 'test', inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
    settleMs: 0,
    logger: pino({ level: 'debug' }, sink),
    ...more,
  } as Parameters<typeof EventLog.open<ProjectionState>>[0]);
  return { log, lines };
}

const quality = (log: EventLog<ProjectionState>): unknown =>
  (log.state.config.channels.get('victim')?.settings as { pipeline: { output: { jpegQuality: number } } })
    .pipeline.output.jpegQuality;
const warnings = (o: Opened) => o.lines.filter((l) => l['level'] === 40);
const loaded = (o: Opened) => o.lines.filter((l) => l['msg'] === 'loaded snapshot');

/** Exactly one warning, naming `code` and the file, on one line and without a stack; then `loadedSeq` (or a full replay). */
function expectOneWarning(o: Opened, code: string, file: string, loadedSeq?: number): void {
  const w = warnings(o);
  expect(w, JSON.stringify(o.lines)).toHaveLength(1);
  expect(w[0]).toMatchObject({ code, file: expect.stringContaining(file) });
  expect(String(w[0]!['msg'])).toContain(code);
  expect(JSON.stringify(w[0])).not.toMatch(/stack|\\n\s+at /);
  expect(loaded(o)).toEqual(loadedSeq === undefined ? [] : [expect.objectContaining({ seq: loadedSeq })]);
}

describe('EventLog.open with a snapshot on the drive', () => {
  it('an unchanged snapshot is used, with no warning', async () => {
    const file = await tamperTarget();
    const o = await open();
    expect(warnings(o)).toEqual([]);
    expect(loaded(o)).toEqual([
      expect.objectContaining({ seq: 1, file: expect.stringContaining('000000000001-') }),
    ]);
    expect(file).toContain('000000000001-');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
  });

  it('jpegQuality 90 -> 10 edited in its body: ignored with E_SNAPSHOT_DIGEST_MISMATCH, the state is the replay (90)', async () => {
    const file = await tamperTarget();
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"jpegQuality":90');
    await writeFile(file, text.replace('"jpegQuality":90', '"jpegQuality":10'));
    const o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_DIGEST_MISMATCH', '000000000001-');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
  });

  it('an edit that changes the length (90 -> 5) is refused as well', async () => {
    const file = await tamperTarget();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"jpegQuality":90', '"jpegQuality":5'));
    const o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_DIGEST_MISMATCH', '000000000001-');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
  });

  it.each([
    ['garbage', 'E_SNAPSHOT_UNREADABLE', () => '{bad json'],
    ['an empty file', 'E_SNAPSHOT_UNREADABLE', () => ''],
    ['NUL bytes', 'E_SNAPSHOT_UNREADABLE', () => '\0'.repeat(4096)],
    ['its header only', 'E_SNAPSHOT_DIGEST_MISMATCH', (t: string) => t.slice(0, t.indexOf('\n') + 1)],
    ['its first half', 'E_SNAPSHOT_DIGEST_MISMATCH', (t: string) => t.slice(0, t.length >> 1)],
    ['a header that is not JSON', 'E_SNAPSHOT_UNREADABLE', (t: string) => `x${t}`],
  ])('%s: %s once (one line, no stack), then a full replay', async (_what, code, damage) => {
    const file = await tamperTarget();
    await writeFile(file, damage(await readFile(file, 'utf8')));
    const o = await open();
    expectOneWarning(o, code, '000000000001-');
    expect(quality(o.log)).toBe(90);
    expect(o.log.seq).toBe(1);
    await o.log.stop();
  });

  it('a snapshot written before digests (one JSON object) is ignored with E_SNAPSHOT_UNDIGESTED', async () => {
    const file = await tamperTarget();
    const text = await readFile(file, 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    const state = JSON.parse(text.slice(text.indexOf('\n') + 1)) as unknown;
    const { seq, term, hash, formatLevel } = header;
    await writeFile(file, JSON.stringify({ seq, term, hash, formatLevel, state }));
    const o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_UNDIGESTED', '000000000001-');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
  });

  it('a snapshot of another log is ignored with E_SNAPSHOT_MISMATCH, under its own name or renamed to this log', async () => {
    await tamperTarget(dir, 90);
    const other = await newDrive();
    others.push(other);
    const foreign = await tamperTarget(other, 10);
    const [mine] = await listSnapshots(dir);
    await rm(join(snapshotsDir(dir), mine!.file));
    // Another log's snapshot at the same seq: its hash is not this log's record there.
    await cp(foreign, join(snapshotsDir(dir), foreign.split('/').pop()!));
    let o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_MISMATCH', '000000000001-');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
    // Renamed to this log's seq and hash: its header (bound into the digest) still says otherwise.
    await rename(join(snapshotsDir(dir), foreign.split('/').pop()!), join(snapshotsDir(dir), mine!.file));
    o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_MISMATCH', mine!.file);
    expect(String(warnings(o)[0]!['msg'])).toContain('renamed?');
    expect(quality(o.log)).toBe(90);
    await o.log.stop();
  });

  it('a changed newest snapshot: the older, good one is used and the tail replayed', async () => {
    await tamperTarget();
    expect((await cli('channel', 'set', 'victim', '--set', 'priority=70', '--shared', dir)).code).toBe(0);
    expect((await cli('log', 'snapshot', '--shared', dir)).code).toBe(0);
    const [newest, older] = await listSnapshots(dir);
    expect([newest!.seq, older!.seq]).toEqual([2, 1]);
    const path = join(snapshotsDir(dir), newest!.file);
    await writeFile(path, (await readFile(path, 'utf8')).replace('"jpegQuality":90', '"jpegQuality":10'));
    const o = await open();
    expectOneWarning(o, 'E_SNAPSHOT_DIGEST_MISMATCH', newest!.file, 1);
    expect(quality(o.log)).toBe(90);
    expect(o.log.state.config.channels.get('victim')?.settings.priority).toBe(70);
    await o.log.stop();
  });

  it('after a refused snapshot, a handle that writes snapshots writes a good one with its next batch', async () => {
    const file = await tamperTarget();
    await writeFile(file, (await readFile(file, 'utf8')).replace('"jpegQuality":90', '"jpegQuality":10'));
    const o = await open(dir, { snapshotEvery: 10_000 });
    await o.log.append([{ type: 'OperatorNote', data: { author: 't', text: 'after the refused snapshot' } }]);
    const deadline = performance.now() + 20_000;
    while ((await listSnapshots(dir))[0]?.seq !== 2 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect((await listSnapshots(dir)).map((s) => s.seq)).toEqual([2, 1]);
    await o.log.stop();
    const again = await open();
    expect(warnings(again)).toEqual([]);
    expect(loaded(again)).toEqual([expect.objectContaining({ seq: 2 })]);
    expect(quality(again.log)).toBe(90);
    await again.log.stop();
  });

  it('writeSnapshotFile of a state a replay gives loads back equal to the replay', async () => {
    await tamperTarget();
    const o = await open();
    const state = o.log.state;
    await o.log.stop();
    await rm(snapshotsDir(dir), { recursive: true });
    await writeSnapshotFile(dir, darkroomProjector.provenance(state), darkroomProjector.toSnapshot(state));
    const back = await open();
    expect(loaded(back)).toHaveLength(1);
    expect(darkroomProjector.toSnapshot(back.log.state)).toEqual(darkroomProjector.toSnapshot(state));
    await back.log.stop();
  });
});
