// ownFolderOf: a file reached through a symlink, or a folder named by another path, is judged by
// where it really lies (issue 14, item 4, second half).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ownFolderOf } from '../../src/hotfolders/own-output.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-own-'));
  for (const d of ['in', 'out', 'bad', 'originals']) await mkdir(join(dir, d));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const folders = () => ({
  outputDir: join(dir, 'out'),
  badDir: join(dir, 'bad'),
  originalsDir: join(dir, 'originals'),
});

describe('ownFolderOf', () => {
  it('a plain input file is not in any own folder', async () => {
    await writeFile(join(dir, 'in', 'a.jpg'), 'x');
    expect(await ownFolderOf(join(dir, 'in', 'a.jpg'), folders())).toBeUndefined();
  });

  it('a file reached through a symlink in the input folder is judged by where it lies (the output folder)', async () => {
    await writeFile(join(dir, 'out', 'a.jpg'), 'x');
    await symlink(join(dir, 'out', 'a.jpg'), join(dir, 'in', 'a.jpg'));
    expect(await ownFolderOf(join(dir, 'in', 'a.jpg'), folders())).toMatchObject({
      key: 'outputDir',
      file: join(dir, 'out', 'a.jpg'),
    });
  });

  it('an output folder configured through a symlink to the input folder holds every input file', async () => {
    await symlink(join(dir, 'in'), join(dir, 'outlink'));
    await writeFile(join(dir, 'in', 'a.jpg'), 'x');
    const own = await ownFolderOf(join(dir, 'in', 'a.jpg'), {
      ...folders(),
      outputDir: join(dir, 'outlink'),
    });
    expect(own).toMatchObject({ key: 'outputDir', real: join(dir, 'in') });
  });

  it('an originals folder named by another path (with ..) is recognised', async () => {
    await writeFile(join(dir, 'originals', 'a.jpg'), 'x');
    await symlink(join(dir, 'originals'), join(dir, 'in', 'arch'));
    const own = await ownFolderOf(join(dir, 'in', 'arch', 'a.jpg'), {
      ...folders(),
      originalsDir: join(dir, 'in', '..', 'originals'),
    });
    expect(own).toMatchObject({ key: 'originalsDir' });
  });
});
