// Bench inputs made from the real photos in samples/ (CC0 copies carried by the repository): normalised sRGB originals for
// the quality bench, and 0.5/12/24-megapixel JPEGs for the speed bench, cached in the
// git-ignored .bench-cache/ (made once, reused while the cache file exists).
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cacheDir = join(repoRoot, '.bench-cache');
export const samplesDir = process.env.DARKROOM_SAMPLES ?? join(repoRoot, 'samples');

export async function cachePath(...parts: string[]): Promise<string> {
  const p = join(cacheDir, ...parts);
  await mkdir(join(p, '..'), { recursive: true });
  return p;
}

/** Writes through a temporary name so an interrupted run never leaves a half file in the cache. */
async function cached(path: string, make: (tmp: string) => Promise<unknown>): Promise<string> {
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}.tmp${extname(path)}`;
  await make(tmp);
  await rename(tmp, path);
  return path;
}

/** The sample photos that decode completely (the deliberately truncated JPEG is left out). */
export async function samplePhotos(): Promise<string[]> {
  if (!existsSync(samplesDir))
    throw new Error(`no sample photos: ${samplesDir} does not exist (set DARKROOM_SAMPLES)`);
  const names = (await readdir(samplesDir)).filter((n) => /\.(png|jpe?g|tiff?|webp)$/i.test(n)).sort();
  const ok: string[] = [];
  for (const n of names) {
    const file = join(samplesDir, n);
    try {
      await sharp(file, { failOn: 'warning' }).raw().toBuffer();
      ok.push(file);
    } catch {
      // a damaged sample (truncated.jpg) is not a photo to measure
    }
  }
  return ok;
}

/** The photo as the bench's "untouched original": upright 8-bit sRGB RGB, no alpha, lossless PNG. */
export async function pristinePng(photo: string): Promise<string> {
  const name = basename(photo).replace(/\.[^.]+$/, '');
  return cached(await cachePath('quality', `${name}.png`), (tmp) =>
    sharp(photo).autoOrient().removeAlpha().toColourspace('srgb').png().toFile(tmp),
  );
}

/** Width x height of a 3:2 landscape image of about `megapixels` MP. */
export function sizeFor(megapixels: number): { width: number; height: number } {
  const width = Math.round(Math.sqrt(megapixels * 1e6 * 1.5));
  return { width, height: Math.round(width / 1.5) };
}

/**
 * A JPEG of about `megapixels` MP made from a 3:2 sample photo: upscaled (lanczos3), then a
 * grain layer (gaussian noise, sigma 24, soft-light blend) so it has camera-like detail and
 * file size instead of an upscaled blur; quality 92, 4:2:0.
 */
export async function megapixelJpeg(
  megapixels: number,
  photo = join(samplesDir, 'coffee.png'),
): Promise<string> {
  const { width, height } = sizeFor(megapixels);
  const name = basename(photo).replace(/\.[^.]+$/, '');
  return cached(await cachePath('imaging', `${name}-${megapixels}mp.jpg`), async (tmp) => {
    const grain = await sharp({
      create: {
        width,
        height,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 24 },
      },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const base = await sharp(photo)
      .removeAlpha()
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .png({ compressionLevel: 0 })
      .toBuffer();
    await sharp(base, { limitInputPixels: false })
      .composite([{ input: grain, blend: 'soft-light', limitInputPixels: false }])
      .jpeg({ quality: 92 })
      .toFile(tmp);
  });
}

export interface Rgb {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Decodes to 8-bit sRGB RGB (embedded profiles honoured), resized to width x height if given. */
export async function decodeRgb(
  input: string | Buffer,
  size?: { width: number; height: number },
): Promise<Rgb> {
  let img = sharp(input).autoOrient().removeAlpha().toColourspace('srgb');
  if (size) img = img.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decodeRgb: expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}
