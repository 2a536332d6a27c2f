import { link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishOutput, readPublished } from '../../src/instance/publish-output.js';
import { counterName, moveExclusive } from '../../src/instance/exclusive-move.js';

let root: string;
let out: string;
let work: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-publish-'));
  out = join(root, 'out');
  work = join(root, 'work', 'job1');
  await mkdir(work, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const req = (over: Partial<Parameters<typeof publishOutput>[0]> = {}) => ({
  outputDir: out,
  fileName: 'photo.jpg',
  data: Buffer.from('output-of-job1'),
  jobId: 'job1',
  attempt: 1,
  sharedDir: root,
  workDir: work,
  onOutputExists: 'counter' as const,
  ...over,
});

describe('publishOutput', () => {
  it('records the output by its drive path: a rerun through another mount of the drive reuses it', async () => {
    await publishOutput(req());
    const marker = JSON.parse(await readFile(join(work, '.darkroom-published.json'), 'utf8')) as unknown;
    expect(marker).toEqual({ path: 'out/photo.jpg', jobId: 'job1' });
    const view = join(root, 'other-mount');
    await symlink(root, view);
    const again = await publishOutput(
      req({ sharedDir: view, outputDir: join(view, 'out'), workDir: join(view, 'work', 'job1'), attempt: 2 }),
    );
    expect(again).toEqual({ path: join(view, 'out', 'photo.jpg'), reused: true });
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('publishes under the wanted name and leaves no temp file', async () => {
    const p = await publishOutput(req());
    expect(p).toEqual({ path: join(out, 'photo.jpg'), reused: false });
    expect(await readdir(out)).toEqual(['photo.jpg']);
    expect(await readPublished(work, root)).toBe(join(out, 'photo.jpg'));
  });

  it('adds a counter instead of replacing another job’s output', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'photo.jpg'), 'other job');
    await writeFile(join(out, 'photo-1.jpg'), 'third job');
    const p = await publishOutput(req());
    expect(p.path).toBe(join(out, 'photo-2.jpg'));
    expect(await readFile(join(out, 'photo.jpg'), 'utf8')).toBe('other job');
    expect(await readFile(join(out, 'photo-2.jpg'), 'utf8')).toBe('output-of-job1');
  });

  it('refuses with E_OUTPUT_EXISTS in fail mode and keeps the existing file', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'photo.jpg'), 'other job');
    await expect(publishOutput(req({ onOutputExists: 'fail' }))).rejects.toMatchObject({
      code: 'E_OUTPUT_EXISTS',
    });
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('replaces in overwrite mode', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'photo.jpg'), 'older');
    await publishOutput(req({ onOutputExists: 'overwrite' }));
    expect(await readFile(join(out, 'photo.jpg'), 'utf8')).toBe('output-of-job1');
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('a rerun after a recorded publish reuses the output', async () => {
    await publishOutput(req());
    const again = await publishOutput(req({ attempt: 2, data: Buffer.from('second run') }));
    expect(again).toEqual({ path: join(out, 'photo.jpg'), reused: true });
    expect(await readdir(out)).toEqual(['photo.jpg']);
    expect(await readFile(join(out, 'photo.jpg'), 'utf8')).toBe('output-of-job1');
  });

  it('a rerun after a crash between the marker and the temp removal removes the leftover temp', async () => {
    // Forge the crash: published and recorded, but the temp name (linked to the output) is still there.
    await publishOutput(req());
    await link(join(out, 'photo.jpg'), join(out, '.darkroom-job1-1.tmp'));
    const again = await publishOutput(req({ attempt: 2, data: Buffer.from('second run') }));
    expect(again).toEqual({ path: join(out, 'photo.jpg'), reused: true });
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('a rerun after a crash between link and marker finds the output by its temp file', async () => {
    // Forge the crash: intent written, temp written and linked, marker never written.
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'photo.jpg'), 'other job');
    await writeFile(join(work, '.darkroom-publish.intent'), `${out}\n`);
    const temp = join(out, '.darkroom-job1-1.tmp');
    await writeFile(temp, 'first run');
    await link(temp, join(out, 'photo-1.jpg'));
    const again = await publishOutput(req({ attempt: 2 }));
    expect(again).toEqual({ path: join(out, 'photo-1.jpg'), reused: true });
    expect((await readdir(out)).sort()).toEqual(['photo-1.jpg', 'photo.jpg']);
  });

  it('a rerun after a crash that lost the temp file asks isOurs', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(work, '.darkroom-publish.intent'), `${out}\n`);
    await writeFile(join(out, 'photo.jpg'), 'stamped job1');
    const again = await publishOutput(
      req({ attempt: 2, isOurs: async (p) => (await readFile(p, 'utf8')).includes('job1') }),
    );
    expect(again.reused).toBe(true);
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('a rerun whose earlier attempt never published writes the output once', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(work, '.darkroom-publish.intent'), `${out}\n`);
    await writeFile(join(out, '.darkroom-job1-1.tmp'), 'half written');
    const p = await publishOutput(req({ attempt: 2 }));
    expect(p.reused).toBe(false);
    expect(await readdir(out)).toEqual(['photo.jpg']);
  });

  it('does not publish when beforePublish refuses', async () => {
    await expect(
      publishOutput(
        req({
          beforePublish: async () => {
            throw new Error('attempt moved on');
          },
        }),
      ),
    ).rejects.toThrow('attempt moved on');
    expect(await readdir(out)).toEqual([]);
  });
});

describe('publishOutput: a stale attempt that linked (a worker paused between its check and its link)', () => {
  const stale = async () => {
    throw new Error('attempt 1 is no longer current');
  };

  it('takes its own link back, never another output, so the rerun publishes the one output', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'photo.jpg'), 'output of another job');
    await expect(publishOutput(req({ afterPublish: stale }))).rejects.toThrow('no longer current');
    expect(await readdir(out)).toEqual(['photo.jpg']);
    expect(await readFile(join(out, 'photo.jpg'), 'utf8')).toBe('output of another job');
    const rerun = await publishOutput(req({ attempt: 2, data: Buffer.from('output of attempt 2') }));
    expect(rerun).toEqual({ path: join(out, 'photo-1.jpg'), reused: false });
    expect((await readdir(out)).sort()).toEqual(['photo-1.jpg', 'photo.jpg']);
  });

  it('keeps a link a rerun adopted (claimed its temp) while the stale attempt was paused', async () => {
    let release!: () => void;
    let linked!: () => void;
    const hasLinked = new Promise<void>((r) => (linked = r));
    const paused = publishOutput(
      req({
        afterPublish: async () => {
          linked();
          await new Promise<void>((r) => (release = r));
          throw new Error('attempt 1 is no longer current');
        },
      }),
    );
    await hasLinked;
    const rerun = await publishOutput(req({ attempt: 2, data: Buffer.from('output of attempt 2') }));
    expect(rerun).toEqual({ path: join(out, 'photo.jpg'), reused: true });
    release();
    await expect(paused).rejects.toThrow('no longer current');
    expect(await readdir(out)).toEqual(['photo.jpg']);
    expect(await readFile(join(out, 'photo.jpg'), 'utf8')).toBe('output-of-job1');
    expect(await readPublished(work, root)).toBe(join(out, 'photo.jpg'));
  });
});

describe('moveExclusive', () => {
  it('names by counter and never replaces', async () => {
    expect(counterName('a.tar.gz', 3)).toBe('a.tar-3.gz');
    const bad = join(root, 'bad');
    await mkdir(bad);
    await writeFile(join(bad, 'x.jpg'), 'older');
    await writeFile(join(root, 'x.jpg'), 'new');
    const dest = await moveExclusive(join(root, 'x.jpg'), bad, 'x.jpg');
    expect(dest).toBe(join(bad, 'x-1.jpg'));
    expect(await readFile(join(bad, 'x.jpg'), 'utf8')).toBe('older');
  });

  it('a rerun after a crash between link and unlink ends with one file', async () => {
    const bad = join(root, 'bad');
    await mkdir(bad);
    await writeFile(join(root, 'x.jpg'), 'data');
    await link(join(root, 'x.jpg'), join(bad, 'x.jpg'));
    const dest = await moveExclusive(join(root, 'x.jpg'), bad, 'x.jpg');
    expect(dest).toBe(join(bad, 'x.jpg'));
    expect(await readdir(bad)).toEqual(['x.jpg']);
    expect((await readdir(root)).sort()).toEqual(['bad', 'out', 'work'].filter((d) => d !== 'out'));
  });

  it('records the destination before the source goes: a crash in between leaves the source for the rerun', async () => {
    const dir = join(root, 'originals');
    const src = join(root, 'x.jpg');
    await writeFile(src, 'data');
    const crash = moveExclusive(src, dir, 'x.jpg', () => Promise.reject(new Error('killed')));
    await expect(crash).rejects.toThrow('killed');
    expect(await readFile(src, 'utf8')).toBe('data');
    const seen: string[] = [];
    const dest = await moveExclusive(src, dir, 'x.jpg', async (d) => {
      seen.push(d);
    });
    expect(dest).toBe(join(dir, 'x.jpg'));
    expect(seen).toEqual([dest]);
    expect(await readdir(dir)).toEqual(['x.jpg']);
    expect(await readdir(root)).not.toContain('x.jpg');
  });
});
