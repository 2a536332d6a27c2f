// The contestants of bench/imaging: darkroom's newspaper pipeline (JPEG, and CMYK TIFF), and
// the ways a newspaper would otherwise do the job — ImageMagick from a hotfolder script, a
// tuned ImageMagick call, and a bare sharp call (the floor: what libvips itself costs).
import { parsePipelineSettings, type PipelineSettings } from '../../src/imaging/pipeline-settings.js';

export type VariantName =
  'darkroom' | 'darkroom-plain' | 'darkroom-cmyk' | 'im-script' | 'im-tuned' | 'floor';

/** Where a variant runs: in a long-lived Node worker (like the server), or one `convert` per image. */
export type VariantKind = 'node' | 'imagemagick';

export interface Variant {
  readonly name: VariantName;
  readonly kind: VariantKind;
  readonly label: string;
  readonly what: string;
}

export const longSidePx = 2000;
export const jpegQuality = 85;

/** darkroom as it was before resized-input.ts: the input decoded twice (`--plain` adds it). */
export const plainVariant: Variant = {
  name: 'darkroom-plain',
  kind: 'node',
  label: 'darkroom JPEG, 2 decodes',
  what: 'the same as darkroom JPEG with runPipeline({ decodeOnce: false }): analysis copy and main pass each decode the input',
};

export const variants: readonly Variant[] = [
  {
    name: 'darkroom',
    kind: 'node',
    label: 'darkroom JPEG',
    what: 'runPipeline, default enhancement (analysis, cast, exposure, contrast, saturation, sharpen, noise), long side 2000 px, JPEG q85',
  },
  {
    name: 'darkroom-cmyk',
    kind: 'node',
    label: 'darkroom CMYK TIFF',
    what: 'the same, then CMYK through the built-in ICC profile (embedded), TIFF LZW',
  },
  {
    name: 'im-script',
    kind: 'imagemagick',
    label: 'ImageMagick script',
    what: 'convert in.jpg -auto-level -unsharp 0x1 -resize 2000x2000> -quality 85 out.jpg (full resolution)',
  },
  {
    name: 'im-tuned',
    kind: 'imagemagick',
    label: 'ImageMagick tuned',
    what: 'convert -define jpeg:size=2000x2000 in.jpg -resize 2000x2000> -auto-level -unsharp 0x1 -quality 85 out.jpg',
  },
  {
    name: 'floor',
    kind: 'node',
    label: 'sharp floor',
    what: 'sharp(bytes).resize(2000, 2000, inside, no enlargement).sharpen({ sigma: 1 }).jpeg({ quality: 85 })',
  },
];

/** The newspaper pipeline's settings: the defaults, long side 2000 px, JPEG quality 85. */
export function newspaperSettings(cmyk: boolean): PipelineSettings {
  return parsePipelineSettings({
    geometry: { width: longSidePx, height: longSidePx, unit: 'px', fit: 'inside' },
    ...(cmyk ? { colour: { space: 'cmyk', cmykProfile: 'builtin' } } : {}),
    output: cmyk ? { format: 'tiff', tiffCompression: 'lzw' } : { format: 'jpeg', jpegQuality },
  });
}

/**
 * ImageMagick arguments. The hotfolder script works at full resolution. The tuned call
 * resizes first and decodes with libjpeg's DCT scaling: `jpeg:size=2000x2000` shrinks a
 * 6000x4000 JPEG to 3000x2000 at load. ImageMagick 6.9.11 *enlarges* at load when the size
 * hint exceeds the image (4000x4000 decodes a 4243x2829 JPEG at 8486x5658), so the bench
 * gives the hint only when the image is at least 2x the hint on both sides (best case for
 * ImageMagick, decided for free). `>` keeps both from upscaling small images, as darkroom.
 */
export function imageMagickArgs(
  name: 'im-script' | 'im-tuned',
  input: string,
  output: string,
  size: { width: number; height: number },
): string[] {
  const resize = ['-resize', `${longSidePx}x${longSidePx}>`];
  const enhance = ['-auto-level', '-unsharp', '0x1'];
  if (name === 'im-script') return [input, ...enhance, ...resize, '-quality', String(jpegQuality), output];
  const hint =
    Math.min(size.width, size.height) >= 2 * longSidePx
      ? ['-define', `jpeg:size=${longSidePx}x${longSidePx}`]
      : [];
  return [...hint, input, ...resize, ...enhance, '-quality', String(jpegQuality), output];
}
