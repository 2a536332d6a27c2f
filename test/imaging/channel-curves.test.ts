// Per-channel curves (channel-curves.ts): a cast made by per-channel tone curves is seen in the
// mid-tones (exponent space) and corrected by one table pass over the decoded pixels; a good
// photo, a gain cast and a grey image are left alone, with the reason; the decode-once file
// keeps its metadata through the table pass.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyCurves,
  curveCastEvidence,
  curvedVipsFile,
  curveTables,
} from '../../src/imaging/channel-curves.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { deltaE, rawRgb, samplePng, tempDir } from './image-fixtures.js';

const defaults = parsePipelineSettings({});
const png = { outputFormat: 'png' as const };

/** The photo with each channel through x^p_c (a per-channel-curve cast: black and white kept). */
async function curveCast(image: Buffer, p: readonly number[]): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return sharp(Buffer.from(applyCurves(data, p)), {
    raw: { width: info.width, height: info.height, channels: 3 },
  })
    .png()
    .toBuffer();
}

/** The analysis-size copy of an image as the plan sees it. */
async function copyOf(image: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const r = await sharp(image)
    .removeAlpha()
    .resize(512, 512, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: r.data, width: r.info.width, height: r.info.height };
}

describe('per-channel curve cast: evidence', () => {
  it('tables map black and white to themselves and bend the middle by the exponent', () => {
    const [r, g, b] = curveTables([0.5, 1, 2]) as [Uint8Array, Uint8Array, Uint8Array];
    expect([r[0], r[255], g[0], g[255], b[0], b[255]]).toEqual([0, 255, 0, 255, 0, 255]);
    expect(g[128]).toBe(128);
    expect(r[64]).toBe(Math.round(255 * Math.sqrt(64 / 255)));
    expect(b[128]).toBe(Math.round(255 * (128 / 255) ** 2));
  });

  it('a motorcycle in a room with a warm-blue curve cast: acts, with exponents that undo it', async () => {
    const good = await samplePng('motorcycle_left.png', 800);
    const cast = await curveCast(good, [1.29, 1, 0.74]);
    const ev = curveCastEvidence(await copyOf(cast), false);
    // Weak evidence (0.2..0.5): the light greys that still pass as near neutral are the lightest
    // ones, so the spot is found short of the cast (see docs/imaging.md); it points the right way.
    expect(ev.score, ev.why).toBeGreaterThan(0.2);
    expect(ev.why).toMatch(/^mid-tones tinted by per-channel curves/);
    // Red was darkened (exponent above 1): its correction lightens it (below 1); blue the other way.
    expect(ev.exponents[0]).toBeLessThan(0.98);
    expect(ev.exponents[2]).toBeGreaterThan(1.1);
    expect(ev.exponents[1]).toBe(1);
  });

  it('good photos (a portrait, a coffee cup, the motorcycle) are left alone: their light greys sit at the origin', async () => {
    for (const name of ['astronaut.png', 'coffee.png', 'motorcycle_left.png']) {
      const ev = curveCastEvidence(await copyOf(await samplePng(name, 800)), false);
      expect(ev.score, `${name}: ${ev.why}`).toBeLessThan(0.2);
    }
  });

  it('a grey image and a missing copy give no evidence, with the reason', () => {
    expect(curveCastEvidence(undefined, false)).toMatchObject({ score: 0, why: 'no analysis copy' });
    const copy = { data: new Uint8Array(300 * 3).fill(128), width: 300, height: 1 };
    expect(curveCastEvidence(copy, true)).toMatchObject({ score: 0, why: 'grey image' });
  });

  it('a flat colour field has no light near-neutral surfaces to read: left alone', () => {
    const data = new Uint8Array(200 * 200 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([150, 170, 140], i);
    const ev = curveCastEvidence({ data, width: 200, height: 200 }, false);
    expect(ev.score).toBe(0);
    expect(ev.why).toMatch(/too few light near-neutral surfaces/);
  });
});

describe('per-channel curve cast: the pipeline', () => {
  it('corrects the cast through the decode-once file, closer to the untouched photo, and says why', async () => {
    const good = await samplePng('motorcycle_left.png', 800);
    const cast = await curveCast(good, [1.29, 1, 0.74]);
    const r = await runPipeline(cast, defaults, png);
    expect(r.corrections.curves?.applied, r.corrections.curves?.reason).toBe(true);
    expect(r.corrections.curves?.reason).toMatch(/^acted: mid-tones tinted/);
    expect(r.corrections.decisions?.curves?.score).toBeGreaterThan(0.2);
    const before = await deltaE(good, cast);
    const after = await deltaE(good, r.data);
    // Weak evidence: a small move (the harm cap), but toward the untouched photo.
    expect(after, `${before} -> ${after}`).toBeLessThan(before);
  });

  it('a good photo gets no curves, and the plan says so', async () => {
    const r = await runPipeline(await samplePng('astronaut.png', 800), defaults, png);
    expect(r.corrections.curves).toMatchObject({ applied: false, exponents: [1, 1, 1] });
    expect(r.corrections.curves?.reason).toMatch(/^left alone: /);
  });

  it('off with the cast step: the evidence is not acted on', async () => {
    const cast = await curveCast(await samplePng('motorcycle_left.png', 800), [1.29, 1, 0.74]);
    const off = parsePipelineSettings({ enhancement: { cast: { enabled: false } } });
    const r = await runPipeline(cast, off, png);
    expect(r.corrections.curves).toMatchObject({ applied: false, reason: 'disabled' });
  });
});

describe('the table pass on a libvips .v file', () => {
  it('changes only the pixels: exactly the tables, metadata (EXIF, XMP) kept', async () => {
    const dir = await tempDir();
    const v = join(dir, 'in.v');
    const out = join(dir, 'out.v');
    const img = await samplePng('coffee.png', 200);
    const xmp =
      '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>curves-test</dc:source></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
    await sharp(img)
      .removeAlpha()
      .withExif({ IFD0: { Copyright: 'curves test' } })
      .withXmp(xmp)
      .toFile(v);
    const q = [0.8, 1, 1.25];
    await curvedVipsFile(v, q, out);
    const before = await rawRgb(await sharp(v).png().toBuffer());
    const after = await rawRgb(await sharp(out).png().toBuffer());
    expect(Buffer.from(applyCurves(before, q)).equals(after)).toBe(true);
    const meta = await sharp(out).metadata();
    expect(meta.exif?.toString('latin1')).toContain('curves test');
    expect(meta.xmp?.toString('utf8')).toContain('curves-test');
    // The input file is untouched.
    expect((await rawRgb(await sharp(v).png().toBuffer())).equals(before)).toBe(true);
  });

  it('refuses a file that is not a 3-band 8-bit .v', async () => {
    const dir = await tempDir();
    const notV = join(dir, 'x.v');
    await writeFile(notV, await samplePng('coffee.png', 50));
    await expect(curvedVipsFile(notV, [1, 1, 1], join(dir, 'o.v'))).rejects.toThrow(/not a libvips .v file/);
    const grey = join(dir, 'g.v');
    await sharp(await samplePng('coffee.png', 50))
      .extractChannel(1)
      .toFile(grey);
    await expect(curvedVipsFile(grey, [1, 1, 1], join(dir, 'o.v'))).rejects.toThrow(/expected 3 bands/);
    expect((await readFile(grey)).length).toBeGreaterThan(64);
  });
});
