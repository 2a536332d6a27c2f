// Output side of the pipeline: formats, determinism, colour out (CMYK, Adobe RGB, grey),
// geometry, metadata, the XMP stamp, previews, and the input kinds handled on the way in.
import { beforeAll, describe, expect, it } from 'vitest';
import { adobeRgbProfile, profileSpace } from '../../src/imaging/icc-profile.js';
import { outputName } from '../../src/imaging/output-format.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { readStamp } from '../../src/imaging/processing-stamp.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { deltaE, samplePng } from './image-fixtures.js';

const defaults = parsePipelineSettings({});
let photo: Buffer;
let photoJpeg: Buffer;

beforeAll(async () => {
  photo = await samplePng('motorcycle_left.png', 240);
  photoJpeg = await sharp(photo).jpeg({ quality: 90 }).toBuffer();
});

describe('determinism', () => {
  it('the same input and settings give identical bytes (JPEG and CMYK TIFF)', async () => {
    const a = await runPipeline(photoJpeg, defaults);
    const b = await runPipeline(photoJpeg, defaults);
    expect(a.data.equals(b.data)).toBe(true);
    const cmyk = parsePipelineSettings({ colour: { space: 'cmyk' }, output: { format: 'tiff' } });
    const c = await runPipeline(photoJpeg, cmyk);
    const d = await runPipeline(photoJpeg, cmyk);
    expect(c.data.equals(d.data)).toBe(true);
  });
});

describe('formats', () => {
  it.each(['jpeg', 'png', 'tiff', 'webp', 'avif'] as const)(
    'writes %s, decided by content on the way back',
    async (f) => {
      const r = await runPipeline(photo, defaults, { outputFormat: f });
      const meta = await sharp(r.data).metadata();
      expect(meta.format).toBe(f === 'avif' ? 'heif' : f);
      expect(r.format).toBe(f);
    },
  );

  it('as-input keeps JPEG as JPEG, and a GIF (first frame) becomes PNG', async () => {
    expect((await runPipeline(photoJpeg, defaults)).format).toBe('jpeg');
    const gif = await sharp(photo).gif().toBuffer();
    const r = await runPipeline(gif, defaults, { fileName: 'anim.gif' });
    expect(r.format).toBe('png');
    expect(r.analysis.format).toBe('gif');
  });

  it('the name pattern fills name and extension', () => {
    expect(outputName('{name}-print.{ext}', 'mayor', 'tiff')).toBe('mayor-print.tif');
  });
});

describe('colour out', () => {
  it('CMYK output is 4-channel with the built-in profile embedded', async () => {
    const s = parsePipelineSettings({ colour: { space: 'cmyk' }, output: { format: 'jpeg' } });
    const r = await runPipeline(photo, s);
    const meta = await sharp(r.data).metadata();
    expect(meta.space).toBe('cmyk');
    expect(meta.channels).toBe(4);
    expect(meta.hasProfile).toBe(true);
    expect(profileSpace(meta.icc!, 'out')).toBe('CMYK');
  });

  it('Adobe RGB output embeds the generated profile and re-encodes the colours', async () => {
    const s = parsePipelineSettings({ colour: { space: 'adobergb' }, output: { format: 'png' } });
    const r = await runPipeline(photo, s);
    const meta = await sharp(r.data).metadata();
    expect(meta.icc?.includes(Buffer.from('Adobe RGB'))).toBe(true);
    const srgb = await runPipeline(photo, defaults, { outputFormat: 'png' });
    const rawA = await sharp(r.data, { ignoreIcc: true }).raw().toBuffer();
    const rawS = await sharp(srgb.data).raw().toBuffer();
    expect(rawA.equals(rawS)).toBe(false);
    // Read back through its profile, it shows the same colours as the sRGB output.
    expect(await deltaE(r.data, srgb.data)).toBeLessThan(1.5);
  });

  it('grey output has one channel and a grey profile', async () => {
    const r = await runPipeline(photo, parsePipelineSettings({ colour: { space: 'gray' } }), {
      outputFormat: 'png',
    });
    const meta = await sharp(r.data).metadata();
    expect(meta.channels).toBe(1);
    expect(profileSpace(meta.icc!, 'out')).toBe('GRAY');
  });

  it('an assumed Adobe RGB input profile changes an untagged image, and is ignored when one is embedded', async () => {
    const assumed = parsePipelineSettings({ input: { assumedProfile: 'adobergb' } });
    const plain = await runPipeline(photo, defaults, { outputFormat: 'png' });
    const asAdobe = await runPipeline(photo, assumed, { outputFormat: 'png' });
    expect(await deltaE(plain.data, asAdobe.data)).toBeGreaterThan(1);
    const tagged = await sharp(photo).withIccProfile('srgb').png().toBuffer();
    const a = await runPipeline(tagged, defaults, { outputFormat: 'png' });
    const b = await runPipeline(tagged, assumed, { outputFormat: 'png' });
    expect((await sharp(a.data).raw().toBuffer()).equals(await sharp(b.data).raw().toBuffer())).toBe(true);
  });

  it('the generated Adobe RGB profile is a valid RGB ICC profile', () => {
    expect(profileSpace(adobeRgbProfile(), 'adobergb.icc')).toBe('RGB');
  });
});

describe('inputs', () => {
  it('EXIF orientation is applied (a portrait stored sideways comes out upright)', async () => {
    const sideways = await sharp(photo)
      .resize(60, 40, { fit: 'fill' })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await runPipeline(sideways, defaults);
    expect([r.width, r.height]).toEqual([40, 60]);
    expect(r.analysis.orientation).toBe(6);
    expect((await sharp(r.data).metadata()).orientation ?? 1).toBe(1);
  });

  it('a CMYK original is converted to RGB and flagged', async () => {
    const cmyk = await sharp(photo).toColourspace('cmyk').jpeg().toBuffer();
    const s = parsePipelineSettings({ quality: { rejectCmyk: true } });
    const r = await runPipeline(cmyk, s);
    expect(r.analysis.isCmyk).toBe(true);
    expect(r.channels).toBe(3);
    expect(r.verdict.pass).toBe(false);
    expect(r.verdict.reasons.join()).toContain('cmykOriginal');
  });

  it('a greyscale original is processed without inventing a cast', async () => {
    const grey = await sharp(photo).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const r = await runPipeline(grey, defaults);
    expect(r.analysis.isGray).toBe(true);
    expect(r.corrections.cast.applied).toBe(false);
  });

  it('no embedded profile fails the check only when the channel asks', async () => {
    expect((await runPipeline(photo, defaults)).verdict.pass).toBe(true);
    const strict = await runPipeline(photo, parsePipelineSettings({ quality: { rejectNoProfile: true } }));
    expect(strict.verdict.aspects.find((a) => a.aspect === 'noProfile')?.pass).toBe(false);
  });
});

describe('geometry', () => {
  it('resizes to millimetres at a resolution and records the density', async () => {
    const s = parsePipelineSettings({ geometry: { width: 20, unit: 'mm', dpi: 100 } });
    const r = await runPipeline(photo, s, { outputFormat: 'jpeg' });
    expect(r.width).toBe(79);
    expect((await sharp(r.data).metadata()).density).toBe(100);
  });

  it('never enlarges unless asked', async () => {
    const keep = await runPipeline(photo, parsePipelineSettings({ geometry: { width: 1000 } }));
    expect(keep.width).toBe(240);
    const grow = await runPipeline(
      photo,
      parsePipelineSettings({ geometry: { width: 480, withoutEnlargement: false } }),
    );
    expect(grow.width).toBe(480);
  });

  it('cover fills the exact box; an aspect crop keeps the salient part', async () => {
    const cover = await runPipeline(
      photo,
      parsePipelineSettings({ geometry: { width: 100, height: 50, fit: 'cover' } }),
    );
    expect([cover.width, cover.height]).toEqual([100, 50]);
    const square = await runPipeline(
      photo,
      parsePipelineSettings({ geometry: { aspect: '1:1', cropStrategy: 'attention' } }),
    );
    expect(square.width).toBe(square.height);
    expect(square.width).toBe(Math.min(photo.readUInt32BE(16), photo.readUInt32BE(20)));
  });
});

describe('metadata and the processing stamp', () => {
  it('the XMP stamp round-trips with the settings hash and the caller context', async () => {
    const r = await runPipeline(photoJpeg, defaults, { stamp: { channel: 'news', jobId: 'j-1' } });
    const stamp = await readStamp(r.data);
    expect(stamp).toEqual(r.stamp);
    expect(stamp?.context).toEqual({ channel: 'news', jobId: 'j-1' });
    expect(await readStamp(photoJpeg)).toBeUndefined();
  });

  it('an already processed image is recognised, and other settings give another hash', async () => {
    const once = await runPipeline(photoJpeg, defaults);
    const twice = await runPipeline(once.data, parsePipelineSettings({ output: { jpegQuality: 80 } }));
    expect(twice.previousStamp?.settingsHash).toBe(once.stamp?.settingsHash);
    expect(twice.stamp?.settingsHash).not.toBe(once.stamp?.settingsHash);
  });

  it('keeps or strips EXIF and XMP as set; kept XMP gets the stamp added', async () => {
    const xmp =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source="wire-123"/></rdf:RDF></x:xmpmeta>';
    const input = await sharp(photo)
      .withExif({ IFD0: { Copyright: 'Agency 2026' } })
      .withXmp(xmp)
      .jpeg()
      .toBuffer();
    const kept = await sharp((await runPipeline(input, defaults)).data).metadata();
    expect(kept.exif?.includes(Buffer.from('Agency 2026'))).toBe(true);
    expect(kept.xmpAsString).toContain('wire-123');
    expect(kept.xmpAsString).toContain('darkroom:stamp');
    const strip = parsePipelineSettings({ output: { keepExif: false, keepXmp: false, stamp: false } });
    const stripped = await sharp((await runPipeline(input, strip)).data).metadata();
    expect(stripped.exif).toBeUndefined();
    expect(stripped.xmp).toBeUndefined();
  });
});

describe('previews', () => {
  it('small before/after JPEGs and 64-bin histograms come with the result', async () => {
    const r = await runPipeline(photo, parsePipelineSettings({ previews: { size: 64 } }), { previews: true });
    expect(r.previews).toBeDefined();
    const p = r.previews!;
    expect(p.before.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(Math.max(p.width, p.height)).toBe(64);
    expect(p.histogramBefore).toHaveLength(64);
    expect(p.histogramAfter.reduce((x, y) => x + y, 0)).toBe(p.width * p.height);
    expect(JSON.parse(JSON.stringify(r.analysis))).toEqual(r.analysis);
  });
});

describe('16-bit inputs', () => {
  it('a 16-bit PNG is corrected like its 8-bit twin', async () => {
    const flat = await sharp(photo).linear(0.6, 51).png().toBuffer();
    const flat16 = await sharp(flat).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(flat16).metadata()).depth).toBe('ushort');
    const a = await runPipeline(flat, defaults, { outputFormat: 'png' });
    const b = await runPipeline(flat16, defaults, { outputFormat: 'png' });
    expect(b.corrections.contrast.applied).toBe(true);
    expect(await deltaE(a.data, b.data)).toBeLessThan(1);
  });
});

describe('animated and transparent inputs', () => {
  it('an animated GIF gives its first frame; a transparent PNG keeps its alpha', async () => {
    const frame = (c: string): Promise<Buffer> =>
      sharp({ create: { width: 40, height: 30, channels: 3, background: c } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame('#c03020'), await frame('#2030c0')], { join: { animated: true } })
      .gif()
      .toBuffer();
    const r = await runPipeline(gif, defaults, { fileName: 'anim.gif' });
    expect([r.width, r.height]).toEqual([40, 30]);
    expect(r.analysis.channels.r.mean).toBeGreaterThan(r.analysis.channels.b.mean);
    const rgba = await sharp({
      create: { width: 40, height: 30, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const t = await runPipeline(rgba, defaults, { fileName: 'logo.png' });
    expect((await sharp(t.data).metadata()).hasAlpha).toBe(true);
  });
});
