// Decoding the input once at output size (resized-input.ts) and embedding sRGB without a
// transform (srgb-segment.ts) give the plain path's output: the same bytes, metadata included,
// when the plan is the same, and colours within 1 delta E when the analysis copy moves the plan.
import { readdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spliceJpegProfile } from '../../src/imaging/assign-profile.js';
import { adobeRgbProfile } from '../../src/imaging/icc-profile.js';
import { runPipeline, type PipelineResult } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { decodeResized, resizedTempFolder } from '../../src/imaging/resized-input.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { srgbProfileSegment, withSrgbProfile } from '../../src/imaging/srgb-segment.js';
import { deltaE, everyStepOff, sample } from './image-fixtures.js';

/** Every enhancement step off: the plan cannot depend on the analysis copy. */
const identity = parsePipelineSettings({
  enhancement: everyStepOff,
  geometry: { width: 1100, height: 1100 },
  output: { format: 'jpeg', jpegQuality: 85 },
});
const defaults = parsePipelineSettings({
  geometry: { width: 1100, height: 1100 },
  output: { format: 'jpeg', jpegQuality: 85 },
});

/** A Photoshop APP13 segment with IPTC-IIM datasets (credit, keyword). */
function iptcSegment(): Buffer {
  const ds = (n: number, v: string): Buffer =>
    Buffer.concat([Buffer.from([0x1c, 0x02, n, 0, v.length]), Buffer.from(v, 'latin1')]);
  const iim = Buffer.concat([ds(110, 'Agency'), ds(25, 'derby')]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(iim.length);
  const pad = iim.length % 2 === 1 ? Buffer.from([0]) : Buffer.alloc(0);
  const body = Buffer.concat([
    Buffer.from('Photoshop 3.0\0', 'latin1'),
    Buffer.from('8BIM\x04\x04\0\0', 'latin1'),
    size,
    iim,
    pad,
  ]);
  const head = Buffer.from([0xff, 0xed, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** A camera-like JPEG: upscaled sample, stored sideways (EXIF orientation 6), EXIF, XMP, IPTC, Adobe RGB. */
let camera: Buffer;
/** The same photo without any metadata. */
let bare: Buffer;

beforeAll(async () => {
  const big = await sharp(sample('motorcycle_left.png')).removeAlpha().resize(2223, 1500).png().toBuffer();
  bare = await sharp(big).jpeg({ quality: 90 }).toBuffer();
  // Stored 1500 x 2223; EXIF orientation 6 turns it back to landscape.
  const sideways = await sharp(big)
    .rotate(-90)
    .withExif({ IFD0: { Make: 'darkroom test', Copyright: 'Agency' } })
    .withMetadata({ orientation: 6 })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/>' +
        '</rdf:RDF></x:xmpmeta>',
    )
    .jpeg({ quality: 90 })
    .toBuffer();
  const withIptc = Buffer.concat([sideways.subarray(0, 2), iptcSegment(), sideways.subarray(2)]);
  camera = spliceJpegProfile(withIptc, adobeRgbProfile());
});

const decodedOnce = (r: PipelineResult): boolean => r.timingsMs['decode'] !== undefined;

describe('decoding once at output size', () => {
  it('gives the plain path bytes for the same plan, EXIF, XMP, IPTC, orientation and profile included', async () => {
    const meta = await sharp(camera).metadata();
    expect([meta.orientation, meta.hasProfile, meta.iptc !== undefined, meta.xmp !== undefined]).toEqual([
      6,
      true,
      true,
      true,
    ]);
    const plain = await runPipeline(camera, identity, { decodeOnce: false });
    const once = await runPipeline(camera, identity);
    expect(decodedOnce(plain)).toBe(false);
    expect(decodedOnce(once)).toBe(true);
    expect(once.data.equals(plain.data)).toBe(true);
    const out = await sharp(once.data).metadata();
    expect([out.width, out.height]).toEqual([1100, 742]);
    expect(out.exif?.includes(Buffer.from('darkroom test'))).toBe(true);
    expect(out.iptc?.includes(Buffer.from('Agency'))).toBe(true);
    expect(out.xmp?.toString('utf8')).toContain('darkroom');
    expect(out.icc?.toString('latin1', 36, 40)).toBe('acsp');
  });

  it.each([
    ['cmyk', 'tiff'],
    ['adobergb', 'jpeg'],
    ['gray', 'png'],
    ['srgb', 'webp'],
  ] as const)('gives the plain path bytes for %s %s output too', async (space, format) => {
    const s = parsePipelineSettings({
      enhancement: identity.enhancement,
      geometry: { width: 1100, height: 1100 },
      colour: { space },
      output: { format },
    });
    const plain = await runPipeline(camera, s, { decodeOnce: false });
    const once = await runPipeline(camera, s);
    expect(decodedOnce(once)).toBe(true);
    expect(once.data.equals(plain.data)).toBe(true);
  });

  it('with the default enhancement stays within a mean delta E of 1 of the plain path, deterministically', async () => {
    for (const input of [bare, camera]) {
      const plain = await runPipeline(input, defaults, { decodeOnce: false });
      const once = await runPipeline(input, defaults, { previews: true });
      expect(decodedOnce(once)).toBe(true);
      expect(await deltaE(once.data, plain.data)).toBeLessThan(1);
      const again = await runPipeline(input, defaults, { previews: true });
      expect(again.data.equals(once.data)).toBe(true);
      expect(again.previews!.before.equals(once.previews!.before)).toBe(true);
    }
  });

  it('a small photo kept at its size decodes once and gives the plain path bytes, analysis and plan', async () => {
    // Default settings, no resize, long side < 1,024 px: JPEG with and without an embedded
    // profile, PNG; the analysis copy is then lanczos3 from the full decode on both paths.
    const small = await sharp(camera).autoOrient().resize(900).jpeg({ quality: 90 }).toBuffer();
    const tagged = spliceJpegProfile(small, adobeRgbProfile());
    for (const input of [small, tagged, sample('chelsea.png'), sample('rocket.jpg')]) {
      const plain = await runPipeline(input, parsePipelineSettings({}), { decodeOnce: false });
      const once = await runPipeline(input, parsePipelineSettings({}));
      expect(decodedOnce(once)).toBe(true);
      expect(decodedOnce(plain)).toBe(false);
      expect(once.analysis).toEqual(plain.analysis);
      expect(once.corrections).toEqual(plain.corrections);
      expect(once.data.equals(plain.data)).toBe(true);
    }
  });

  it('is not used where it could change the output', async () => {
    const small = parsePipelineSettings({
      geometry: { width: 600, height: 600 },
      output: { format: 'jpeg' },
    });
    expect(decodedOnce(await runPipeline(bare, small))).toBe(false);
    expect(decodedOnce(await runPipeline(bare, parsePipelineSettings({})))).toBe(false);
    const alpha = await sharp(bare).ensureAlpha(0.5).png().toBuffer();
    expect(decodedOnce(await runPipeline(alpha, defaults))).toBe(false);
    const grey = await sharp(bare).toColourspace('b-w').jpeg().toBuffer();
    expect(decodedOnce(await runPipeline(grey, defaults))).toBe(false);
  });

  it('keeps its temporary file in a private folder that goes with the last job using it', async () => {
    const loaded = await loadInput(bare, 1e9);
    const resize = {
      width: 1100,
      height: 742,
      fit: 'fill',
      position: 'centre',
      withoutEnlargement: false,
    } as const;
    const [a, b] = await Promise.all([
      decodeResized(loaded, bare, resize),
      decodeResized(loaded, bare, resize),
    ]);
    const folder = (await resizedTempFolder())!;
    expect((await readdir(folder)).sort()).toEqual([basename(a!.path), basename(b!.path)].sort());
    expect((await a!.sharp().metadata()).width).toBe(1100);
    await a!.dispose();
    expect(await readdir(folder)).toEqual([basename(b!.path)]);
    await b!.dispose();
    await b!.dispose();
    expect(await resizedTempFolder()).toBeUndefined();
    await expect(stat(folder)).rejects.toThrow(/ENOENT/);
    await runPipeline(bare, defaults);
    expect(await resizedTempFolder()).toBeUndefined();
  });

  it('a decode failure is the same error as on the plain path, and the file is removed', async () => {
    const broken = Buffer.from(bare);
    broken.fill(0x00, broken.length >> 1, (broken.length >> 1) + 4000);
    const code = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'none',
        (e: unknown) => (e as { code: string }).code,
      );
    const plainCode = await code(runPipeline(broken, defaults, { decodeOnce: false }));
    expect(plainCode).not.toBe('none');
    expect(await code(runPipeline(broken, defaults))).toBe(plainCode);
    expect(await resizedTempFolder()).toBeUndefined();
  });
});

describe('sRGB embedded without a transform', () => {
  it('the segment is the one libvips writes, placed where libvips places it', async () => {
    const img = (): ReturnType<typeof sharp> =>
      sharp(bare)
        .resize(300)
        .withExif({ IFD0: { Copyright: 'x' } })
        .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    const viaLibvips = await img().withIccProfile('srgb').jpeg({ quality: 80 }).toBuffer();
    const spliced = await withSrgbProfile(await img().toColourspace('srgb').jpeg({ quality: 80 }).toBuffer());
    expect(spliced.equals(viaLibvips)).toBe(true);
    expect((await srgbProfileSegment()).readUInt16BE(0)).toBe(0xffe2);
    await expect(withSrgbProfile(viaLibvips)).rejects.toThrow(/APP2/);
  });
});
