// A corpus of bad inputs: each kind gives its own error code and a message naming the file.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { sample, samplePng, tempDir } from './image-fixtures.js';

interface Case {
  kind: string;
  code: string;
  /** Builds the input in `dir`; returns the path (or a buffer and its name) and settings JSON. */
  make: (
    dir: string,
  ) => Promise<{ input: string | Buffer; name: string; settings?: unknown; format?: string }>;
}

let dir = '';
let jpeg: Buffer;
let png: Buffer;

const file = async (name: string, data: Buffer | string): Promise<{ input: string; name: string }> => {
  const path = join(dir, name);
  await writeFile(path, data);
  return { input: path, name };
};

/** A PNG whose IHDR declares width x height (CRC recomputed, so only the size is wrong). */
function pngDeclaring(base: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(base);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  const { crc32 } = zlib;
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}
const cases: Case[] = [
  { kind: 'empty file', code: 'E_IMAGE_EMPTY', make: () => file('empty.jpg', '') },
  {
    kind: 'zero-byte buffer',
    code: 'E_IMAGE_EMPTY',
    make: async () => ({ input: Buffer.alloc(0), name: 'upload-0.jpg' }),
  },
  {
    kind: 'text file named .jpg',
    code: 'E_IMAGE_NOT_AN_IMAGE',
    make: () => file('notes.jpg', 'Caption: mayor opens bridge\n'),
  },
  {
    kind: 'random bytes behind a JPEG signature',
    code: 'E_IMAGE_CORRUPT',
    make: () =>
      file(
        'noise.jpg',
        Buffer.concat([
          Buffer.from([0xff, 0xd8, 0xff]),
          Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919) % 256)),
        ]),
      ),
  },
  {
    kind: 'truncated JPEG (shared sample)',
    code: 'E_IMAGE_TRUNCATED',
    make: async () => file('truncated.jpg', await readFile(sample('truncated.jpg'))),
  },
  {
    kind: 'JPEG cut off in its body',
    code: 'E_IMAGE_TRUNCATED',
    make: () => file('cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.7))),
  },
  {
    kind: 'PNG with a bad CRC',
    code: 'E_IMAGE_CHECKSUM',
    make: () => {
      const bad = Buffer.from(png);
      bad[bad.length - 30]! ^= 0xff;
      return file('bad-crc.png', bad);
    },
  },
  {
    kind: 'PNG cut off before IEND',
    code: 'E_IMAGE_TRUNCATED',
    make: () => file('cut.png', png.subarray(0, png.length - 40)),
  },
  {
    kind: 'decompression bomb (declared 60000 x 60000)',
    code: 'E_IMAGE_TOO_LARGE',
    make: () => file('bomb.png', pngDeclaring(png, 60000, 60000)),
  },
  {
    kind: 'over the channel pixel limit',
    code: 'E_IMAGE_TOO_LARGE',
    make: async () => ({ ...(await file('big.png', png)), settings: { input: { maxInputPixels: 1000 } } }),
  },
  {
    kind: 'BMP',
    code: 'E_IMAGE_UNSUPPORTED',
    make: () => file('photo.jpg', Buffer.concat([Buffer.from('BM'), Buffer.alloc(200)])),
  },
  {
    kind: 'PDF',
    code: 'E_IMAGE_UNSUPPORTED',
    make: () => file('page.pdf', '%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'),
  },
  {
    kind: 'SVG (vector, refused)',
    code: 'E_IMAGE_UNSUPPORTED',
    make: () =>
      file(
        'logo.svg',
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
      ),
  },
  {
    kind: 'missing file',
    code: 'E_IMAGE_MISSING',
    make: async () => ({ input: join(dir, 'gone.jpg'), name: 'gone.jpg' }),
  },
  {
    kind: 'a folder instead of a file',
    code: 'E_IMAGE_NOT_A_FILE',
    make: async () => {
      await mkdir(join(dir, 'folder.jpg'));
      return { input: join(dir, 'folder.jpg'), name: 'folder.jpg' };
    },
  },
  {
    kind: 'invalid settings value',
    code: 'E_SETTINGS_INVALID',
    make: async () => ({
      ...(await file('ok1.png', png)),
      settings: { enhancement: { cast: { strength: -1 } } },
    }),
  },
  {
    kind: 'unknown settings key',
    code: 'E_SETTINGS_INVALID',
    make: async () => ({ ...(await file('ok2.png', png)), settings: { geometry: { widht: 100 } } }),
  },
  {
    kind: 'unreadable .icc path',
    code: 'E_PROFILE_UNREADABLE',
    make: async () => ({
      ...(await file('ok3.png', png)),
      settings: { colour: { space: 'cmyk', cmykProfile: join(dir, 'missing.icc') } },
    }),
  },
  {
    kind: 'a CMYK profile path that is not a profile',
    code: 'E_PROFILE_INVALID',
    make: async () => {
      await writeFile(join(dir, 'fake.icc'), 'this is not a profile'.repeat(10));
      return {
        ...(await file('ok4.png', png)),
        settings: { colour: { space: 'cmyk', cmykProfile: join(dir, 'fake.icc') } },
      };
    },
  },
  {
    kind: 'an RGB profile given as the CMYK profile',
    code: 'E_PROFILE_WRONG_SPACE',
    make: async () => {
      const { adobeRgbProfile } = await import('../../src/imaging/icc-profile.js');
      await writeFile(join(dir, 'rgb.icc'), adobeRgbProfile());
      return {
        ...(await file('ok5.png', png)),
        settings: { colour: { space: 'cmyk', cmykProfile: join(dir, 'rgb.icc') } },
      };
    },
  },
];

beforeAll(async () => {
  dir = await tempDir();
  png = await samplePng('coffee.png', 96);
  jpeg = await sharp(await samplePng('astronaut.png', 256))
    .jpeg({ quality: 90 })
    .toBuffer();
});

describe('bad inputs', () => {
  it.each(cases)('$kind gives $code naming the file', async ({ code, make }) => {
    const { input, name, settings } = await make(dir);
    let caught: unknown;
    try {
      const s = parsePipelineSettings(settings ?? {}, `${name}.settings.json`);
      await runPipeline(input, s, { fileName: typeof input === 'string' ? input : name });
    } catch (err) {
      caught = err;
    }
    expect(isDarkroomError(caught), String(caught)).toBe(true);
    if (!isDarkroomError(caught)) return;
    expect(caught.code).toBe(code);
    expect(caught.message).toContain(code.startsWith('E_PROFILE') ? '.icc' : name);
  });

  it('the same codes come back when the whole corpus runs at once (libvips error text can interleave)', async () => {
    const sub = await tempDir();
    const saved = dir;
    dir = sub;
    try {
      const made = await Promise.all(cases.map((c) => c.make(sub)));
      const results = await Promise.allSettled(
        made.map(async ({ input, name, settings }) =>
          runPipeline(input, parsePipelineSettings(settings ?? {}, name), {
            fileName: typeof input === 'string' ? input : name,
          }),
        ),
      );
      const codes = results.map((r) =>
        r.status === 'rejected' && isDarkroomError(r.reason) ? r.reason.code : r.status,
      );
      expect(codes).toEqual(cases.map((c) => c.code));
    } finally {
      dir = saved;
    }
  });

  it('the corpus covers at least 15 kinds and 13 distinct codes', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(new Set(cases.map((c) => c.code)).size).toBeGreaterThanOrEqual(13);
  });

  it('CMYK output into PNG is refused as a settings error', async () => {
    const s = parsePipelineSettings({ colour: { space: 'cmyk' }, output: { format: 'png' } });
    await expect(runPipeline(png, s, { fileName: 'x.png' })).rejects.toMatchObject({
      code: 'E_SETTINGS_INVALID',
    });
  });
});
