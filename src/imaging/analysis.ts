// Image analysis for the enhancement and the quality check: histograms, percentiles, mean
// luminance, colour cast, contrast, sharpness and noise, measured on a copy of at most 512 px
// (long side). The result is JSON-safe and kept with the job for the Inspector.
import { estimateCast, type Scan } from './cast-estimate.js';
import { logRatio32, logRatioBin, uvCells, uvSize } from './chroma-tables.js';
import { abChroma, srgbToLinear } from './colour-math.js';
import { round } from './plan-numbers.js';
import { sharpnessAndNoise } from './sharpness-noise.js';
import { imageError } from './image-errors.js';
import { loadInput, type LoadedInput } from './image-input.js';
import { sharp } from './sharp-door.js';

export const analysisLongSide = 512;
const histogramBins = 64;

export interface ChannelStats {
  readonly mean: number;
  readonly p1: number;
  readonly p5: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface Analysis {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly analyzedWidth: number;
  readonly analyzedHeight: number;
  /** libvips colour space of the original: srgb, cmyk, b-w, rgb16, ... */
  readonly space: string;
  readonly isCmyk: boolean;
  readonly isGray: boolean;
  readonly hasAlpha: boolean;
  readonly hasProfile: boolean;
  readonly orientation: number;
  /** Values 0..255 after conversion to sRGB. */
  readonly channels: { readonly r: ChannelStats; readonly g: ChannelStats; readonly b: ChannelStats };
  readonly luminance: ChannelStats;
  /** Mean gamma-encoded luminance, 0..1. */
  readonly meanLuminance: number;
  /** p99 - p1 of the luminance, 0..1. */
  readonly contrast: number;
  /** Mean CIE chroma (C*ab). */
  readonly meanChroma: number;
  readonly cast: {
    /** The neutral estimate in CIE a*, b*: (0, 0) is no cast. */
    readonly a: number;
    readonly b: number;
    readonly magnitude: number;
    /** Share of usable pixels that support the estimate, 0..1. */
    readonly confidence: number;
    /** Mean 8-bit RGB of the pixels taken as neutral. */
    readonly neutralRgb: readonly [number, number, number];
    /**
     * Second cue, the brightest unclipped surfaces (white patch on the top 2 % of pixels with no
     * channel at 250 or above): their mean colour as 8-bit RGB (from the mean in linear light),
     * its shift in log chromaticity [ln R/G, ln B/G] and the share of those pixels within 0.1
     * of it (1: one surface colour, as a white object under a cast; low: mixed colours).
     */
    readonly bright: {
      readonly rgb: readonly [number, number, number];
      readonly uv: readonly [number, number];
      readonly support: number;
    };
    /**
     * Third opinion, the grey-edge illuminant (mean absolute derivative per channel in linear
     * light) as [ln R/G, ln B/G]; optional for analyses stored before it was added.
     */
    readonly edge?: readonly [number, number];
  };
  /** Laplacian energy over gradient energy of the grey copy (1/px^2): lower is softer. */
  readonly sharpness: number;
  /** Noise standard deviation in 8-bit levels at analysis size (Immerkaer's estimator in the quietest third of 16 px blocks). */
  readonly noise: number;
  /** 64-bin histograms, counts per bin. */
  readonly histograms: {
    readonly r: number[];
    readonly g: number[];
    readonly b: number[];
    readonly l: number[];
  };
}

/** Full-resolution (256-bin) luminance histogram, kept internally for planning tone curves. */
export interface AnalysisDetail {
  readonly lumaHistogram: Float64Array;
  /** 256-bin histograms of each pixel's darkest and brightest channel: where the tonal range really ends. */
  readonly minChannelHistogram: Float64Array;
  readonly maxChannelHistogram: Float64Array;
  /** 256-bin histograms of R, G and B. */
  readonly channelHistograms: readonly Float64Array[];
  readonly pixels: number;
  /**
   * Pixels with a channel at 255 and another below 220: saturated colours that lost a channel
   * to clipping (hue and saturation gone), the mark of over-exposure or of a cast pushing one
   * channel up. A blown white sky or a specular highlight clips every channel and does not
   * count. Counts by which channels clipped (bit 0 R, 1 G, 2 B), which channel is the darkest
   * (0..2) and its value: histogram index (mask * 3 + darkest) * 256 + value.
   */
  readonly colourClipped?: Float64Array;
  /** The analysis copy itself (8-bit sRGB, 3 channels), reused for the "before" preview. */
  readonly copy?: { readonly data: Buffer; readonly width: number; readonly height: number };
}

export function percentile(hist: ArrayLike<number>, total: number, q: number): number {
  const target = total * q;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    if (acc >= target && acc > 0) return i;
  }
  return hist.length - 1;
}

function stats(hist: Float64Array, total: number): ChannelStats {
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  const p = (q: number): number => percentile(hist, total, q);
  return { mean: round(sum / total, 2), p1: p(0.01), p5: p(0.05), p50: p(0.5), p95: p(0.95), p99: p(0.99) };
}

function downsample(hist: Float64Array): number[] {
  const out = new Array<number>(histogramBins).fill(0);
  const per = 256 / histogramBins;
  for (let i = 0; i < 256; i++) out[Math.floor(i / per)]! += hist[i]!;
  return out;
}

/** Where `scanPixels` counts the pixels that did not lose a colour to clipping (never read). */
const clipScratch = new Float64Array(8 * 3 * 256);

/**
 * Rows per call of `scanPixels` (a short loop per call gives V8 feedback from many calls; cold
 * timings of 8 rows and of one call for all rows did not differ beyond the noise).
 */
const scanRows = 8;

/**
 * The single pass over rows y0..y1 (exclusive) of the pixels: every histogram, the grey copy,
 * the chroma, the grey-edge sums and what the cast cues read back, added to `scan` in pixel
 * order (so the sums are the same whatever the rows per call).
 */
function scanPixels(px: Uint8Array, w: number, h: number, y0: number, y1: number, scan: Scan): void {
  const { castPixels, us, vs, brightPixels, brightLuma, hist, bandHist, bandCount, brightHist } = scan;
  const { counts, grey, colourClipped } = scan;
  const lin = srgbToLinear;
  const cr = 0;
  const cg = 256;
  const cb = 512;
  const cmin = 768;
  const cmax = 1024;
  const cl = 1280;
  const row = w * 3;
  let { usableCount, brightCount, er, eg, eb, chroma } = scan;
  for (let y = y0, i = y0 * w; y < y1; y++) {
    const edgeRow = y < h - 1;
    for (let x = 0; x < w; x++, i++) {
      const p = i * 3;
      const r = px[p]!;
      const g = px[p + 1]!;
      const b = px[p + 2]!;
      const lo = Math.min(r, g, b);
      const hi = Math.max(r, g, b);
      // Every pixel is counted, the ones that did not lose a colour in a scratch table, and each
      // comparison runs for every pixel: the optimised loop then never meets a rare path it has
      // not run before (each costs V8 a deopt and a recompile while the analysis is cold).
      const mask = (r === 255 ? 1 : 0) | (g === 255 ? 2 : 0) | (b === 255 ? 4 : 0);
      const isR = lo === r;
      const isG = lo === g;
      const darkest = isR ? 0 : isG ? 1 : 2;
      const lost = lo < colourClipMin;
      const clippedAny = mask !== 0;
      (lost && clippedAny ? colourClipped : clipScratch)[(mask * 3 + darkest) * 256 + lo]!++;
      counts[cr + r]!++;
      counts[cg + g]!++;
      counts[cb + b]!++;
      counts[cmin + lo]!++;
      counts[cmax + hi]!++;
      const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      grey[i] = l;
      // Math.round(l), the same for all 2^24 colours (checked by a test) and 4x faster in V8.
      const li = (l + 0.5) | 0;
      counts[cl + (li < 255 ? li : 255)]!++;
      if ((i & 3) === 0) chroma += abChroma(r, g, b);
      const R = lin[r]!;
      const G = lin[g]!;
      const B = lin[b]!;
      if (lo >= 16 && hi <= 249) {
        // The bright-surface cue's pixels (every channel in 16..249).
        brightPixels[brightCount] = i;
        brightLuma[brightCount] = li;
        brightHist[li]!++;
        brightCount++;
        if (hi <= 247) {
          // The neutral estimate's pixels (16..247), if on the histogram.
          const ku = r * 256 + g;
          const kv = b * 256 + g;
          const bx = logRatioBin[ku]!;
          const by = logRatioBin[kv]!;
          if (bx >= 0 && by >= 0 && bx < uvSize && by < uvSize) {
            castPixels[usableCount] = i;
            us[usableCount] = logRatio32[ku]!;
            vs[usableCount] = logRatio32[kv]!;
            usableCount++;
            const cell = by * uvSize + bx;
            hist[cell]!++;
            const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
            // 0 below 0.1, 1 below 0.4, else 2 (both comparisons run for every pixel).
            const band = (Y < 0.1 ? 0 : 1) + (Y < 0.4 ? 0 : 1);
            bandHist[band * uvCells + cell]!++;
            bandCount[band]!++;
          }
        }
      }
      if (edgeRow && x < w - 1) {
        er += Math.abs(lin[px[p + 3]!]! - R) + Math.abs(lin[px[p + row]!]! - R);
        eg += Math.abs(lin[px[p + 4]!]! - G) + Math.abs(lin[px[p + row + 1]!]! - G);
        eb += Math.abs(lin[px[p + 5]!]! - B) + Math.abs(lin[px[p + row + 2]!]! - B);
      }
    }
  }
  scan.usableCount = usableCount;
  scan.brightCount = brightCount;
  scan.er = er;
  scan.eg = eg;
  scan.eb = eb;
  scan.chroma = chroma;
}

/** Per-pixel working arrays of `analyzePixels`, kept for the next call (3.6 MB at 512 x 512). */
interface PixelBuffers {
  readonly grey: Float32Array;
  readonly castPixels: Int32Array;
  readonly us: Float32Array;
  readonly vs: Float32Array;
  readonly brightPixels: Int32Array;
  readonly brightLuma: Uint8Array;
}
let kept: PixelBuffers | undefined;

/**
 * Working arrays for n pixels, reused from call to call (allocating and clearing them cost more
 * than the rest of the pass besides the pixel loop). Every entry read is written first in the same
 * call, and analyzePixels is synchronous, so a reused array carries nothing over.
 */
function pixelBuffers(n: number): PixelBuffers {
  if (kept === undefined || kept.grey.length < n) {
    kept = {
      grey: new Float32Array(n),
      castPixels: new Int32Array(n),
      us: new Float32Array(n),
      vs: new Float32Array(n),
      brightPixels: new Int32Array(n),
      brightLuma: new Uint8Array(n),
    };
  }
  return kept;
}

/** A clipped pixel whose darkest channel is below this is a saturated colour that lost a channel. */
const colourClipMin = 220;

/**
 * Pure: computes the analysis from interleaved 8-bit RGB pixels of the analysis copy. One pass
 * over the pixels gathers every histogram, the grey copy, the chroma, the grey-edge sums and
 * what the cast cues read back (tables instead of logarithms and powers per pixel); the sums
 * run in the same order as separate passes did, so the results are the same to the last bit.
 */
export function analyzePixels(
  px: Uint8Array,
  w: number,
  h: number,
  about: Pick<
    Analysis,
    'format' | 'width' | 'height' | 'space' | 'isCmyk' | 'isGray' | 'hasAlpha' | 'hasProfile' | 'orientation'
  >,
): { analysis: Analysis; detail: AnalysisDetail } {
  const n = w * h;
  const buffers = pixelBuffers(n);
  const scan: Scan = {
    // Counted as integers (cheaper to increment), returned as Float64Array.
    counts: new Uint32Array(6 * 256),
    grey: buffers.grey,
    colourClipped: new Float64Array(8 * 3 * 256),
    chroma: 0,
    castPixels: buffers.castPixels,
    us: buffers.us,
    vs: buffers.vs,
    brightPixels: buffers.brightPixels,
    brightLuma: buffers.brightLuma,
    hist: new Uint32Array(uvCells),
    bandHist: new Uint32Array(3 * uvCells),
    bandCount: new Float64Array(3),
    usableCount: 0,
    brightHist: new Float64Array(256),
    brightCount: 0,
    er: 0,
    eg: 0,
    eb: 0,
  };
  for (let y = 0; y < h; y += scanRows) scanPixels(px, w, h, y, Math.min(h, y + scanRows), scan);
  const { counts, grey, colourClipped, chroma } = scan;
  const [hr, hg, hb, hmin, hmax, hl] = [0, 256, 512, 768, 1024, 1280].map((k) =>
    Float64Array.from(counts.subarray(k, k + 256)),
  ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const lum = stats(hl, n);
  const { sharpness, noise } = sharpnessAndNoise(grey, w, h);
  const analysis: Analysis = {
    ...about,
    analyzedWidth: w,
    analyzedHeight: h,
    channels: { r: stats(hr, n), g: stats(hg, n), b: stats(hb, n) },
    luminance: lum,
    meanLuminance: round(lum.mean / 255, 4),
    contrast: round((lum.p99 - lum.p1) / 255, 4),
    meanChroma: round(chroma / Math.ceil(n / 4), 2),
    cast: estimateCast(px, scan),
    sharpness,
    noise,
    histograms: { r: downsample(hr), g: downsample(hg), b: downsample(hb), l: downsample(hl) },
  };
  return {
    analysis,
    detail: {
      lumaHistogram: hl,
      minChannelHistogram: hmin,
      maxChannelHistogram: hmax,
      channelHistograms: [hr, hg, hb],
      pixels: n,
      colourClipped,
    },
  };
}

/** Decodes the analysis copy (oriented, sRGB, alpha flattened on white) and analyses it. Runs sharp on the libuv pool. */
export async function analyzeLoaded(
  loaded: LoadedInput,
  decodable: Buffer = loaded.data,
): Promise<{ analysis: Analysis; detail: AnalysisDetail }> {
  const { meta } = loaded;
  let raw: { data: Buffer; info: { width: number; height: number } };
  try {
    raw = await sharp(decodable, { failOn: 'warning', limitInputPixels: false })
      .autoOrient()
      .resize(analysisLongSide, analysisLongSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw imageError(err, loaded.file, 'read');
  }
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5;
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const result = analyzePixels(raw.data, raw.info.width, raw.info.height, {
    format: loaded.format,
    width: swap ? height : width,
    height: swap ? width : height,
    space: meta.space ?? 'unknown',
    isCmyk: meta.space === 'cmyk',
    isGray: meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) <= 2,
    hasAlpha: meta.hasAlpha ?? false,
    hasProfile: meta.hasProfile ?? false,
    orientation,
  });
  return {
    ...result,
    detail: { ...result.detail, copy: { data: raw.data, width: raw.info.width, height: raw.info.height } },
  };
}

/** Reads and analyses one image (the public entry for the Inspector and benches). */
export async function analyzeImage(
  input: string | Buffer,
  opts: { fileName?: string; maxInputPixels?: number } = {},
): Promise<Analysis> {
  const loaded = await loadInput(input, opts.maxInputPixels ?? 100_000_000, opts.fileName);
  return (await analyzeLoaded(loaded)).analysis;
}
