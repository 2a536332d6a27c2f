// Path confinement (issue 14, item 3): a client-named path must lead, symlinks resolved, inside
// the allowed roots; job tickets' <outputFolder> goes through the same rule.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confineOutputFolder } from '../../src/hotfolders/job-ticket.js';
import { confinePath, resolveReal } from '../../src/paths/confined-path.js';

let root: string;
let out: string;
beforeEach(async () => {
  root = await resolveReal(await mkdtemp(join(tmpdir(), 'darkroom-paths-')));
  out = join(root, 'hotfolders', 'news', 'out');
  await mkdir(out, { recursive: true });
  await mkdir(join(root, 'elsewhere'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const confine = (p: string, roots = [out]) => confinePath(p, { what: 'test', base: out, roots });

describe('confinePath', () => {
  it('accepts folders inside a root, existing or not, relative or absolute', async () => {
    expect(await confine('sport')).toBe(join(out, 'sport'));
    expect(await confine('a/b/../c')).toBe(join(out, 'a', 'c'));
    expect(await confine(join(out, 'x'))).toBe(join(out, 'x'));
    expect(await confine('.')).toBe(out);
  });

  it('refuses .. that climbs out, and absolute paths elsewhere, with E_TICKET_PATH_OUTSIDE naming both', async () => {
    for (const p of ['../../../../../escaped', '../in', '/etc', join(root, 'elsewhere')]) {
      await expect(confine(p), p).rejects.toMatchObject({
        code: 'E_TICKET_PATH_OUTSIDE',
        fields: { path: p, roots: out },
      });
    }
  });

  it('resolves symlinks before comparing: a link inside the root to a folder outside is outside', async () => {
    await symlink(join(root, 'elsewhere'), join(out, 'link'));
    await expect(confine('link')).rejects.toMatchObject({
      code: 'E_TICKET_PATH_OUTSIDE',
      fields: { resolved: join(root, 'elsewhere') },
    });
    await expect(confine('link/new/deeper')).rejects.toMatchObject({ code: 'E_TICKET_PATH_OUTSIDE' });
    // The kernel follows the link before `..`: link/../x is <root>/x, not <out>/x.
    await expect(confine('link/../x')).rejects.toMatchObject({
      fields: { resolved: join(root, 'x') },
    });
  });

  it('no roots: nothing is allowed', async () => {
    await expect(confine('sport', [])).rejects.toMatchObject({ fields: { roots: 'none' } });
  });
});

describe('a job ticket <outputFolder>', () => {
  const channel = (allowedOutputRoots: string[]) => ({ output: out, settings: { allowedOutputRoots } });

  it('is confined to the output folder by default; allowedOutputRoots (absolute or drive-relative) widen it', async () => {
    await expect(
      confineOutputFolder('../../../../../escaped', channel([]), root, 'in/t.xml'),
    ).rejects.toMatchObject({
      code: 'E_TICKET_PATH_OUTSIDE',
      message: expect.stringContaining('job ticket in/t.xml <outputFolder>'),
    });
    await expect(
      confineOutputFolder(join(root, 'elsewhere', 'a'), channel([]), root, 't.xml'),
    ).rejects.toMatchObject({
      code: 'E_TICKET_PATH_OUTSIDE',
    });
    expect(
      await confineOutputFolder(join(root, 'elsewhere', 'a'), channel(['elsewhere']), root, 't.xml'),
    ).toBe(join(root, 'elsewhere', 'a'));
    expect(
      await confineOutputFolder(join(root, 'elsewhere'), channel([join(root, 'elsewhere')]), root, 't.xml'),
    ).toBe(join(root, 'elsewhere'));
  });

  it("is refused inside the channel's input folder, even within an allowed root, also through a symlink (E_TICKET_PATH_INTO_INPUT)", async () => {
    const input = join(root, 'hotfolders', 'news', 'in');
    await mkdir(input, { recursive: true });
    await symlink(input, join(root, 'elsewhere', 'inlink'));
    const wide = { output: out, input, settings: { allowedOutputRoots: ['hotfolders'] } };
    await expect(confineOutputFolder(join(input, 'again'), wide, root, 't.xml')).rejects.toMatchObject({
      code: 'E_TICKET_PATH_INTO_INPUT',
      fields: { input },
    });
    // Through a symlink outside the roots that leads into the input folder (inside an allowed root).
    await expect(
      confineOutputFolder(join(root, 'elsewhere', 'inlink', 'x'), wide, root, 't.xml'),
    ).rejects.toMatchObject({ code: 'E_TICKET_PATH_INTO_INPUT', fields: { resolved: join(input, 'x') } });
    expect(await confineOutputFolder('sport', wide, root, 't.xml')).toBe(join(out, 'sport'));
  });
});
