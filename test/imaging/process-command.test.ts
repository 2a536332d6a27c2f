// `darkroom process` through the real CLI entry (in-process main with captured output).
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { samplePng, tempDir } from './image-fixtures.js';

let dir = '';
let input = '';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'darkroom', 'process', ...args], {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await tempDir();
  input = join(dir, 'warm.png');
  const png = await samplePng('motorcycle_left.png', 200);
  await writeFile(input, await sharp(png).linear([1.1, 1, 0.8], [8, 0, -5]).png().toBuffer());
});

describe('darkroom process', () => {
  it('writes the format of the output extension and reports the corrections as JSON', async () => {
    const out = join(dir, 'fixed.jpg');
    const r = await run(input, out, '--report');
    expect(r.code, r.err).toBe(0);
    expect((await sharp(await readFile(out)).metadata()).format).toBe('jpeg');
    const report = JSON.parse(r.out);
    expect(report.corrections.cast.applied).toBe(true);
    expect(report.analysis.histograms.l).toHaveLength(64);
    expect(report.width).toBe(200);
  });

  it('takes settings from a JSON file (here: a resize and CMYK TIFF)', async () => {
    const settings = join(dir, 'print.json');
    await writeFile(settings, JSON.stringify({ geometry: { width: 100 }, colour: { space: 'cmyk' } }));
    const out = join(dir, 'print.tif');
    const r = await run(input, out, '--settings', settings);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('wrote');
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.space, meta.channels]).toEqual([100, 'cmyk', 4]);
  });

  it.each([
    ['a missing input', () => [join(dir, 'nope.jpg'), join(dir, 'o.jpg')], 'E_IMAGE_MISSING', 'nope.jpg'],
    [
      'an output format darkroom cannot write',
      () => [input, join(dir, 'o.bmp')],
      'E_IMAGE_OUTPUT_UNSUPPORTED',
      'o.bmp',
    ],
    [
      'an output folder that does not exist',
      () => [input, join(dir, 'no', 'o.jpg')],
      'E_IMAGE_WRITE_FAILED',
      'o.jpg',
    ],
  ])('%s exits non-zero with the code and the file on stderr', async (_k, args, code, name) => {
    const r = await run(...args());
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(code);
    expect(r.err).toContain(name);
  });

  it('bad settings name the settings file and field, and write nothing', async () => {
    const settings = join(dir, 'bad.json');
    await writeFile(settings, JSON.stringify({ output: { jpegQuality: 101 } }));
    const out = join(dir, 'never.jpg');
    const r = await run(input, out, '--settings', settings);
    expect(r.code).toBe(65);
    expect(r.err).toContain('E_SETTINGS_INVALID');
    expect(r.err).toContain('bad.json: output.jpegQuality');
    await expect(access(out)).rejects.toThrow();
  });
});
