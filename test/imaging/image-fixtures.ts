// Shared helpers for imaging tests: the sample photos beside the repo, temp folders, and
// measuring images (raw sRGB pixels, mean delta E).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meanDeltaE } from '../../src/imaging/colour-math.js';
import { sharp, type Sharp } from '../../src/imaging/sharp-door.js';

export const samplesDir = fileURLToPath(new URL('../../samples/', import.meta.url));
export const sample = (name: string): string => join(samplesDir, name);

export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'darkroom-imaging-'));
}

/** A sample as a PNG buffer without alpha, at most `longSide` pixels (keeps tests fast). */
export async function samplePng(name: string, longSide = 400): Promise<Buffer> {
  return sharp(sample(name))
    .removeAlpha()
    .resize(longSide, longSide, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer();
}

/** Applies a defect (a sharp operation) and returns a PNG. */
export async function degrade(png: Buffer, defect: (s: Sharp) => Sharp): Promise<Buffer> {
  return defect(sharp(png)).png().toBuffer();
}

/** Raw 8-bit sRGB pixels (alpha removed). */
export async function rawRgb(image: Buffer): Promise<Buffer> {
  return sharp(image).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
}

export async function deltaE(a: Buffer, b: Buffer): Promise<number> {
  return meanDeltaE(await rawRgb(a), await rawRgb(b));
}

/**
 * `image` with Gaussian noise of this sigma overlaid (grain-like, strongest in mid-tones), encoded
 * as PNG (lossless) or JPEG quality 92.
 */
export async function withGrain(image: Buffer, sigma: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma },
    },
  })
    .png()
    .toBuffer();
  const grained = sharp(image).composite([{ input: noise, blend: 'overlay' }]);
  return format === 'png' ? grained.png().toBuffer() : grained.jpeg({ quality: 92 }).toBuffer();
}

/** Pipeline settings input with every enhancement step off (merge into parsePipelineSettings). */
export const everyStepOff = {
  cast: { enabled: false },
  exposure: { enabled: false },
  contrast: { enabled: false },
  saturation: { enabled: false },
  sharpen: { enabled: false },
  noiseReduction: { enabled: false },
} as const;
