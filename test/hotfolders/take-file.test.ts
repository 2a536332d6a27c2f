// takeFile on real files: one winner per file among racing takers, the cross-file-system path,
// and orphan recovery of takes whose JobSubmitted was never appended.
import { mkdir, mkdtemp, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  claimPathOf,
  discardAbandoned,
  discardWork,
  findOrphanedWork,
  manifestName,
  resolveParkedWork,
  resumeClaimedTake,
  takeFile,
} from '../../src/hotfolders/take-file.js';
import { tempDir } from './watch-helpers.js';

async function setup(n: number): Promise<{ shared: string; input: string; names: string[] }> {
  const root = await tempDir('take');
  const shared = join(root, 'shared');
  const input = join(root, 'in');
  await mkdir(shared);
  await mkdir(input);
  const names = Array.from({ length: n }, (_, i) => `img-${String(i).padStart(3, '0')}.jpg`);
  for (const name of names) await writeFile(join(input, name), `content of ${name}`);
  return { shared, input, names };
}

describe('takeFile', () => {
  it('moves the input into work/<jobId>/ with its manifest', async () => {
    const { shared, input } = await setup(1);
    const taken = await takeFile(shared, join(input, 'img-000.jpg'), 'J1', {
      channel: 'news',
      relPath: 'img-000.jpg',
    });
    expect(taken).toMatchObject({ jobId: 'J1', workDirRel: 'work/J1', file: 'img-000.jpg', bytes: 22 });
    expect(await readdir(input)).toEqual([]);
    expect((await readdir(join(shared, 'work', 'J1'))).sort()).toEqual([manifestName, 'img-000.jpg']);
  });

  it('of two concurrent takers of the same files exactly one wins each file', async () => {
    const { shared, input, names } = await setup(100);
    const results = await Promise.all(
      names.flatMap((name) =>
        ['a', 'b'].map(async (who) => ({
          name,
          who,
          taken: await takeFile(shared, join(input, name), `${who}-${name}`, { channel: 'c', relPath: name }),
        })),
      ),
    );
    for (const name of names) {
      const winners = results.filter((r) => r.name === name && r.taken !== undefined);
      expect(winners, `winners for ${name}`).toHaveLength(1);
    }
    expect(await readdir(input)).toEqual([]);
    // Losers leave no work folder behind.
    expect(await readdir(join(shared, 'work'))).toHaveLength(100);
  });

  it('returns undefined for an input that is gone', async () => {
    const { shared, input } = await setup(0);
    expect(
      await takeFile(shared, join(input, 'nope.jpg'), 'J', { channel: 'c', relPath: 'nope.jpg' }),
    ).toBeUndefined();
    expect(await readdir(join(shared, 'work'))).toEqual([]);
  });

  it('takes a file from another file system by claim, copy and unlink (EXDEV)', async () => {
    const { shared } = await setup(0);
    const other = await mkdtemp('/dev/shm/darkroom-take-');
    expect((await stat(other)).dev, '/dev/shm must be another file system than the temp folder').not.toBe(
      (await stat(shared)).dev,
    );
    await writeFile(join(other, 'x.jpg'), 'cross-device bytes');
    const [a, b] = await Promise.all([
      takeFile(shared, join(other, 'x.jpg'), 'A', { channel: 'c', relPath: 'x.jpg' }),
      takeFile(shared, join(other, 'x.jpg'), 'B', { channel: 'c', relPath: 'x.jpg' }),
    ]);
    const winner = a ?? b;
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(winner).toMatchObject({ file: 'x.jpg', bytes: 18 });
    expect(await readdir(other)).toEqual([]);
    expect((await readdir(winner!.workDir)).sort()).toEqual([manifestName, 'x.jpg']);
  });
});

describe('findOrphanedWork', () => {
  it('finds a take without JobSubmitted, and not one the projection knows', async () => {
    const { shared, input } = await setup(2);
    await takeFile(shared, join(input, 'img-000.jpg'), 'J0', { channel: 'news', relPath: 'img-000.jpg' });
    await takeFile(shared, join(input, 'img-001.jpg'), 'J1', { channel: 'news', relPath: 'img-001.jpg' });
    const orphans = await findOrphanedWork(shared, new Set(['J0']));
    expect(orphans).toEqual([
      expect.objectContaining({
        jobId: 'J1',
        kind: 'taken',
        workDirRel: 'work/J1',
        bytes: 22,
        manifest: expect.objectContaining({ channel: 'news', relPath: 'img-001.jpg', file: 'img-001.jpg' }),
      }),
    ]);
    expect(await findOrphanedWork(shared, new Set(), { exclude: new Set(['J0', 'J1']) })).toEqual([]);
    expect(await findOrphanedWork(shared, () => false, { minAgeMs: 60_000, nowMs: Date.now() })).toEqual([]);
  });

  it('classifies a manifest without input as abandoned, and a stopped cross-device take as claimed', async () => {
    const { shared, input } = await setup(2);
    const manifest = (jobId: string, file: string) =>
      JSON.stringify({ jobId, channel: 'c', relPath: file, source: join(input, file), file });
    await mkdir(join(shared, 'work', 'JA'), { recursive: true });
    await writeFile(join(shared, 'work', 'JA', manifestName), manifest('JA', 'gone.jpg'));
    await mkdir(join(shared, 'work', 'JC'));
    await writeFile(join(shared, 'work', 'JC', manifestName), manifest('JC', 'img-000.jpg'));
    await rename(join(input, 'img-000.jpg'), claimPathOf(join(input, 'img-000.jpg'), 'JC'));
    await mkdir(join(shared, 'work', 'JU'));
    await writeFile(join(shared, 'work', 'JU', 'foreign.txt'), 'not ours');
    // Takes killed before their manifest was in place: an empty folder, one with only the temp.
    await mkdir(join(shared, 'work', 'JE'));
    await mkdir(join(shared, 'work', 'JT'));
    await writeFile(join(shared, 'work', 'JT', `${manifestName}.4242-0.tmp`), '{"jobId":"JT","chan');

    const orphans = await findOrphanedWork(shared, new Set());
    expect(orphans.map((o) => [o.jobId, o.kind])).toEqual([
      ['JA', 'abandoned'],
      ['JC', 'claimed'],
      ['JE', 'abandoned'],
      ['JT', 'abandoned'],
      ['JU', 'unknown'],
    ]);
    // Too young to judge: a take may be between its mkdir and its manifest right now.
    expect(
      (await findOrphanedWork(shared, new Set(), { minAgeMs: 60_000, nowMs: Date.now() })).map(
        (o) => o.jobId,
      ),
    ).toEqual(['JU']);
    const resumed = await resumeClaimedTake(orphans[1]!);
    expect(resumed).toMatchObject({ jobId: 'JC', file: 'img-000.jpg', bytes: 22 });
    expect(await readdir(input)).toEqual(['img-001.jpg']);
    for (const id of ['JA', 'JE', 'JT']) await discardWork(shared, id);
    expect((await findOrphanedWork(shared, new Set())).map((o) => [o.jobId, o.kind])).toEqual([
      ['JC', 'taken'],
      ['JU', 'unknown'],
    ]);
  });

  it('the manifest names the input by its drive path: another mount of the drive finds the claim', async () => {
    const root = await tempDir('take');
    const shared = join(root, 'shared');
    const input = join(shared, 'hotfolders', 'c', 'in');
    await mkdir(input, { recursive: true });
    await writeFile(join(input, 'a.jpg'), 'content of a');
    const view = join(root, 'other-mount');
    await symlink(shared, view);
    await mkdir(join(shared, 'work', 'JC'), { recursive: true });
    // A take through the first mount that stopped after its claim (cross-file-system path).
    const manifest = {
      jobId: 'JC',
      channel: 'c',
      relPath: 'a.jpg',
      source: 'hotfolders/c/in/a.jpg',
      file: 'a.jpg',
    };
    await writeFile(join(shared, 'work', 'JC', manifestName), JSON.stringify(manifest));
    await rename(join(input, 'a.jpg'), claimPathOf(join(input, 'a.jpg'), 'JC'));
    const [orphan] = await findOrphanedWork(view, new Set());
    expect(orphan).toMatchObject({
      jobId: 'JC',
      kind: 'claimed',
      claim: claimPathOf(join(view, 'hotfolders/c/in/a.jpg'), 'JC'),
    });
    await resumeClaimedTake(orphan!);
    expect(await readFile(join(shared, 'work', 'JC', 'a.jpg'), 'utf8')).toBe('content of a');

    await writeFile(join(input, 'b.jpg'), 'content of b');
    await takeFile(view, join(view, 'hotfolders', 'c', 'in', 'b.jpg'), 'JB', {
      channel: 'c',
      relPath: 'b.jpg',
    });
    const written = JSON.parse(await readFile(join(shared, 'work', 'JB', manifestName), 'utf8')) as {
      source: string;
    };
    expect(written.source).toBe('hotfolders/c/in/b.jpg');
  });

  it('discarding an abandoned take never destroys an input that shows up late', async () => {
    const { shared } = await setup(0);
    const manifest = (jobId: string) =>
      JSON.stringify({
        jobId,
        channel: 'c',
        relPath: 'a.jpg',
        source: 'hotfolders/c/in/a.jpg',
        file: 'a.jpg',
      });
    // JA: the take never happened. JL: scanned as abandoned (its input not visible yet through a
    // caching view, or renamed in by a slow taker right after the scan), holding the input now.
    for (const id of ['JA', 'JL']) {
      await mkdir(join(shared, 'work', id), { recursive: true });
      await writeFile(join(shared, 'work', id, manifestName), manifest(id));
    }
    await writeFile(join(shared, 'work', 'JL', 'a.jpg'), 'the photo');
    expect(await discardAbandoned(shared, 'JA')).toBe(true);
    expect(await discardAbandoned(shared, 'JL')).toBe(false);
    expect(await readdir(join(shared, 'work'))).toEqual(['JL']);
    expect(await readFile(join(shared, 'work', 'JL', 'a.jpg'), 'utf8')).toBe('the photo');
    expect((await findOrphanedWork(shared, new Set())).map((o) => [o.jobId, o.kind])).toEqual([
      ['JL', 'taken'],
    ]);
    // A discard killed between its rename and its decision: resolved by the next scan's owner.
    await mkdir(join(shared, 'work', '.discarding-JB'));
    await writeFile(join(shared, 'work', '.discarding-JB', manifestName), manifest('JB'));
    await mkdir(join(shared, 'work', '.discarding-JC'));
    await writeFile(join(shared, 'work', '.discarding-JC', manifestName), manifest('JC'));
    await writeFile(join(shared, 'work', '.discarding-JC', 'a.jpg'), 'another photo');
    expect((await findOrphanedWork(shared, new Set())).map((o) => o.jobId)).toEqual(['JL']);
    expect(await resolveParkedWork(shared)).toBe(1);
    expect((await readdir(join(shared, 'work'))).sort()).toEqual(['JC', 'JL']);
    expect(await readFile(join(shared, 'work', 'JC', 'a.jpg'), 'utf8')).toBe('another photo');
  });

  it('returns nothing when there is no work folder yet', async () => {
    expect(await findOrphanedWork(await tempDir('take'), new Set())).toEqual([]);
  });
});
