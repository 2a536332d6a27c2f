// The pipeline's faster paths give the colours of the plain ones: brightening without sharp's
// pre-resize gamma pass (so JPEG shrink-on-load stays on), and the CMYK "after" preview shrunk
// in CMYK before it is shown through its profile. Both stay deterministic.
import { beforeAll, describe, expect, it } from 'vitest';
import { meanDeltaE } from '../../src/imaging/colour-math.js';
import { applyCorrections, runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { makePreviews } from '../../src/imaging/previews.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { rawRgb, samplePng } from './image-fixtures.js';

/** A dark JPEG larger than the output, so the resize (and shrink-on-load) takes part. */
let darkJpeg: Buffer;
const brightening = parsePipelineSettings({
  enhancement: { exposure: { target: 0.7, tolerance: 0.05 } },
  geometry: { width: 300, height: 300 },
  output: { format: 'png' },
});

beforeAll(async () => {
  const png = await samplePng('coffee.png', 800);
  darkJpeg = await sharp(png).gamma(2.2, 1).jpeg({ quality: 90 }).toBuffer();
});

interface SharpOptions {
  options: { gamma: number; gammaOut: number };
}

describe('brightening after the resize', () => {
  it('sets only the post-resize exponent and matches sharp gamma(1, 1/e) within 1 delta E', async () => {
    const r = await runPipeline(darkJpeg, brightening);
    const e = r.corrections.exposure.exponent;
    expect(r.corrections.exposure.applied).toBe(true);
    expect(e).toBeLessThan(1);
    const fresh = (): ReturnType<typeof sharp> =>
      sharp(darkJpeg).autoOrient().resize(r.geometry.resize).withIccProfile('srgb');
    const fast = applyCorrections(fresh(), r.corrections);
    // The pre-resize exponent is cleared (the guard against a sharp upgrade moving its options).
    expect((fast as unknown as SharpOptions).options.gamma).toBe(0);
    expect((fast as unknown as SharpOptions).options.gammaOut).toBeCloseTo(1 / e, 9);
    // The plain public call: gamma(1, 1/e) decodes at full size and adds an identity pass.
    const plain = applyCorrections(fresh(), r.corrections).gamma(1, Math.min(3, 1 / e));
    const [a, b] = await Promise.all([fast.png().toBuffer(), plain.png().toBuffer()]);
    expect(meanDeltaE(await rawRgb(a), await rawRgb(b))).toBeLessThan(1);
    expect(meanDeltaE(await rawRgb(r.data), await rawRgb(a))).toBeLessThan(0.01);
    const again = await runPipeline(darkJpeg, brightening);
    expect(again.data.equals(r.data)).toBe(true);
  });
});

describe('CMYK after-preview', () => {
  it('shrunk in CMYK looks like the full output converted then shrunk, and is deterministic', async () => {
    const cmyk = parsePipelineSettings({ colour: { space: 'cmyk' }, output: { format: 'tiff' } });
    const r = await runPipeline(darkJpeg, cmyk, { previews: true });
    const p = r.previews!;
    const meta = await sharp(darkJpeg).metadata();
    const before = { data: await rawRgb(darkJpeg), width: meta.width, height: meta.height };
    const plain = await makePreviews(before, r.data, 256, 'x.tif', false);
    expect([p.width, p.height]).toEqual([plain.width, plain.height]);
    expect(meanDeltaE(await rawRgb(p.after), await rawRgb(plain.after))).toBeLessThan(2.5);
    const again = await runPipeline(darkJpeg, cmyk, { previews: true });
    expect(again.previews!.after.equals(p.after)).toBe(true);
    expect(again.data.equals(r.data)).toBe(true);
  });
});
