// Before/after previews for the Inspector: small sRGB JPEGs and their 64-bin luminance
// histograms. The "after" preview is made from the output itself (CMYK shrunk first, then shown
// via its profile).
import { luma } from './colour-math.js';
import { imageError } from './image-errors.js';
import { sharp } from './sharp-door.js';

export interface Previews {
  readonly before: Buffer;
  readonly after: Buffer;
  readonly width: number;
  readonly height: number;
  /** 64-bin luminance histograms of the previews, counts per bin. */
  readonly histogramBefore: number[];
  readonly histogramAfter: number[];
}

/** The analysis copy (already oriented 8-bit sRGB), so the original is not decoded again. */
export interface RawCopy {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function preview(
  input: Buffer | RawCopy,
  size: number,
): Promise<{ jpeg: Buffer; histogram: number[]; w: number; h: number }> {
  const source = Buffer.isBuffer(input)
    ? sharp(input, { failOn: 'warning', limitInputPixels: false }).autoOrient()
    : sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } });
  const { data, info } = await source
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const histogram = new Array<number>(64).fill(0);
  const ch = info.channels;
  for (let i = 0; i + 2 < data.length; i += ch) {
    const y = ch >= 3 ? luma(data[i]!, data[i + 1]!, data[i + 2]!) : data[i]!;
    histogram[Math.min(63, Math.floor(y / 4))]!++;
  }
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: ch } })
    .jpeg({ quality: 80 })
    .toBuffer();
  return { jpeg, histogram, w: info.width, h: info.height };
}

/**
 * A CMYK output shrunk to preview size in CMYK, its profile kept (a small uncompressed TIFF):
 * converting the full output back through the profile cost 0.2-0.6 s, the small one almost
 * nothing. The look differs from convert-then-shrink only by resampling in CMYK.
 */
async function shrinkCmyk(cmyk: Buffer, size: number): Promise<Buffer> {
  return sharp(cmyk, { failOn: 'warning', limitInputPixels: false })
    .pipelineColourspace('cmyk')
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('cmyk')
    .keepIccProfile()
    .tiff({ compression: 'none' })
    .toBuffer();
}

/** `afterIsCmyk`: the output is CMYK; it is shrunk before it is shown through its profile. */
export async function makePreviews(
  before: Buffer | RawCopy,
  after: Buffer,
  size: number,
  file: string,
  afterIsCmyk = false,
): Promise<Previews> {
  try {
    const afterSource = afterIsCmyk ? await shrinkCmyk(after, size) : after;
    const [b, a] = await Promise.all([preview(before, size), preview(afterSource, size)]);
    return {
      before: b.jpeg,
      after: a.jpeg,
      width: a.w,
      height: a.h,
      histogramBefore: b.histogram,
      histogramAfter: a.histogram,
    };
  } catch (err) {
    throw imageError(err, file, 'read');
  }
}
