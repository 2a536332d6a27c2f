// Image analysis for the enhancement and the quality check: histograms, percentiles, mean
// luminance, colour cast, contrast, sharpness and noise, measured on a copy of at most 512 px
// (long side). The result is JSON-safe and kept with the job for the Inspector.
import { abChroma, linearToSrgb, rgbToLab, srgbToLinear } from './colour-math.js';
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

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

function downsample(hist: Float64Array): number[] {
  const out = new Array<number>(histogramBins).fill(0);
  const per = 256 / histogramBins;
  for (let i = 0; i < 256; i++) out[Math.floor(i / per)]! += hist[i]!;
  return out;
}

/** Log-chromaticity histogram: u = ln(R/G), v = ln(B/G) in linear light, bins of 0.02 over +-1.2. */
const uvRange = 60;
const uvSize = 2 * uvRange + 1;
const uvCells = uvSize * uvSize;
const uvBin = 0.02;
/** Prior on the cast: a shift of 0.4 in log chromaticity (a strong tungsten cast) is one sigma. */
const castPriorSigma = 0.4;
/** ln of linear light per 8-bit value (values below 16 are never looked up). */
const logLinear = Float64Array.from(srgbToLinear, (v) => Math.log(Math.max(v, 1e-6)));

/**
 * Tables over every pair of 8-bit values (index a * 256 + g), so the per-pixel loops look up
 * instead of computing: ln(lin a) - ln(lin g) (exactly the difference the loops computed), the
 * same as float32 (the precision the neutral refinement keeps per pixel) and its histogram bin
 * (round(u / 0.02) + 60). 65,536 entries each, built once per process.
 */
const logRatio = new Float64Array(65536);
const logRatio32 = new Float32Array(65536);
const logRatioBin = new Int16Array(65536);
for (let a = 0; a < 256; a++) {
  for (let g = 0; g < 256; g++) {
    const u = logLinear[a]! - logLinear[g]!;
    logRatio[a * 256 + g] = u;
    logRatio32[a * 256 + g] = u;
    logRatioBin[a * 256 + g] = Math.round(u / uvBin) + uvRange;
  }
}

/** The prior's weight per histogram cell (the Gaussian on the shift), computed once. */
const castPrior = new Float64Array(uvCells);
for (let y = 0; y < uvSize; y++) {
  for (let x = 0; x < uvSize; x++) {
    const u = (x - uvRange) * uvBin;
    const v = (y - uvRange) * uvBin;
    castPrior[y * uvSize + x] = Math.exp(-(u * u + v * v) / (2 * castPriorSigma * castPriorSigma));
  }
}

/** Summed-area table of a uvSize x uvSize histogram. */
function summedArea(hist: Uint32Array): Float64Array {
  const w = uvSize + 1;
  const sat = new Float64Array(w * w);
  for (let y = 0; y < uvSize; y++) {
    let row = 0;
    for (let x = 0; x < uvSize; x++) {
      row += hist[y * uvSize + x]!;
      sat[(y + 1) * w + x + 1] = sat[y * w + x + 1]! + row;
    }
  }
  return sat;
}

/** Pixels within 3 bins of (x, y). */
function density(sat: Float64Array, x: number, y: number): number {
  const box = 3;
  const w = uvSize + 1;
  const x0 = Math.max(0, x - box);
  const y0 = Math.max(0, y - box);
  const x1 = Math.min(uvSize, x + box + 1);
  const y1 = Math.min(uvSize, y + box + 1);
  return sat[y1 * w + x1]! - sat[y0 * w + x1]! - sat[y1 * w + x0]! + sat[y0 * w + x0]!;
}

/** The densest spot weighted by the prior, as [u, v]. */
function peak(sat: Float64Array): [number, number] {
  let best = -1;
  let bx = 0;
  let by = 0;
  for (let y = 0; y < uvSize; y++) {
    for (let x = 0; x < uvSize; x++) {
      const score = density(sat, x, y) * castPrior[y * uvSize + x]!;
      if (score > best) {
        best = score;
        bx = x;
        by = y;
      }
    }
  }
  return [(bx - uvRange) * uvBin, (by - uvRange) * uvBin];
}

/**
 * What the single pass over the pixels gathers for the cast cues: the pixels each cue reads, in
 * pixel order (the neutral estimate's with their u and v as float32, the bright cue's with their
 * rounded luma); the log-chromaticity histograms (all usable pixels and per luminance band) and
 * the bright cue's luma histogram; the grey-edge sums.
 */
interface Scan {
  /** 256-bin counts of R, G, B, the darkest and brightest channel and luma, one after the other. */
  readonly counts: Uint32Array;
  readonly grey: Float32Array;
  readonly colourClipped: Float64Array;
  chroma: number;
  /** Indices of the neutral estimate's pixels, and their u, v: the first `usableCount` entries. */
  readonly castPixels: Int32Array;
  readonly us: Float32Array;
  readonly vs: Float32Array;
  /** Indices of the bright cue's pixels and their rounded luma: the first `brightCount` entries. */
  readonly brightPixels: Int32Array;
  readonly brightLuma: Uint8Array;
  readonly hist: Uint32Array;
  /** The three bands' histograms, one after the other. */
  readonly bandHist: Uint32Array;
  readonly bandCount: Float64Array;
  usableCount: number;
  readonly brightHist: Float64Array;
  brightCount: number;
  er: number;
  eg: number;
  eb: number;
}

/**
 * Neutral estimate in log chromaticity (ln R/G, ln B/G of linear light), where a colour cast
 * (per-channel gains) is a pure shift, the same for dark and bright pixels and unchanged by
 * exposure. The densest spot, weighted by a prior favouring small casts, is taken as the
 * neutrals; confidence drops when the shadows, mid-tones and highlights disagree (a sky
 * fills one band only) or when the grey-edge estimate disagrees. The pixels were scanned by
 * `analyzePixels` (pixels with a channel below 16 or above 247, or off the histogram, are not
 * usable).
 */
function estimateCast(px: Uint8Array, scan: Scan): Analysis['cast'] {
  const { castPixels, us, vs, usableCount } = scan;
  let [cu, cv] = peak(summedArea(scan.hist));
  let chosen = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let iter = 0; iter < 2; iter++) {
    chosen = 0;
    s0 = s1 = s2 = 0;
    let s3 = 0;
    let s4 = 0;
    for (let k = 0; k < usableCount; k++) {
      const u = us[k]!;
      const v = vs[k]!;
      const du = u - cu;
      const dv = v - cv;
      if (du * du + dv * dv > 0.08 * 0.08) continue;
      const p = castPixels[k]! * 3;
      s0 += px[p]!;
      s1 += px[p + 1]!;
      s2 += px[p + 2]!;
      s3 += u;
      s4 += v;
      chosen++;
    }
    if (chosen === 0) break;
    cu = s3 / chosen;
    cv = s4 / chosen;
  }
  const mag2 = cu * cu + cv * cv;
  const edge = greyEdge(scan);
  let agreement = 1;
  if (mag2 > 0 && chosen > 0) {
    const projections: number[] = [];
    for (let k = 0; k < 3; k++) {
      if (scan.bandCount[k]! < usableCount * 0.08) continue;
      const [bu, bv] = peak(summedArea(scan.bandHist.subarray(k * uvCells, (k + 1) * uvCells)));
      projections.push((bu * cu + bv * cv) / mag2);
    }
    projections.sort((x, y) => x - y);
    // Three bands: the middle one (one odd band is tolerated); two: the weaker; one: doubtful.
    const bandAgreement =
      projections.length >= 3 ? projections[1]! : projections.length === 2 ? projections[0]! : 0.5;
    agreement = Math.min(bandAgreement, edgeAgreement(edge, [cu, cv]));
  }
  const neutral: [number, number, number] =
    chosen === 0 ? [128, 128, 128] : [s0 / chosen, s1 / chosen, s2 / chosen];
  const lab = rgbToLab(Math.round(neutral[0]), Math.round(neutral[1]), Math.round(neutral[2]));
  return {
    a: round(lab[1], 2),
    b: round(lab[2], 2),
    magnitude: round(Math.sqrt(lab[1] * lab[1] + lab[2] * lab[2]), 2),
    confidence: round(
      usableCount === 0 ? 0 : (chosen / usableCount) * Math.max(0, Math.min(1, agreement / 0.6)),
      3,
    ),
    neutralRgb: [round(neutral[0], 2), round(neutral[1], 2), round(neutral[2], 2)],
    bright: brightCue(px, scan),
    edge: [round(edge[0], 4), round(edge[1], 4)],
  };
}

/** Share of the unclipped pixels taken as the brightest surfaces. */
const brightShare = 0.02;

/**
 * The brightest unclipped surfaces ("bright pixels", a robust white patch): pixels with every
 * channel in 16..249 (a clipped channel says nothing about the illuminant: under a cast one
 * channel of a white clips first), the top 2 % by luma. Their mean in linear light estimates
 * the illuminant when the brightest things are white or specular; the support says whether
 * they are one colour.
 */
function brightCue(px: Uint8Array, scan: Scan): Analysis['cast']['bright'] {
  const { brightPixels, brightLuma, brightHist: hist, brightCount: usable } = scan;
  const none = { rgb: [128, 128, 128] as const, uv: [0, 0] as const, support: 0 };
  if (usable === 0) return none;
  let threshold = 255;
  for (let acc = 0; threshold > 0; threshold--) {
    acc += hist[threshold]!;
    if (acc >= usable * brightShare) break;
  }
  let sr = 0;
  let sg = 0;
  let sb = 0;
  const picked = new Int32Array(usable);
  let count = 0;
  for (let k = 0; k < usable; k++) {
    if (brightLuma[k]! < threshold) continue;
    const p = brightPixels[k]! * 3;
    sr += srgbToLinear[px[p]!]!;
    sg += srgbToLinear[px[p + 1]!]!;
    sb += srgbToLinear[px[p + 2]!]!;
    picked[count++] = p;
  }
  const R = sr / count;
  const G = sg / count;
  const B = sb / count;
  const u = Math.log(R / G);
  const v = Math.log(B / G);
  let near = 0;
  for (let k = 0; k < count; k++) {
    const p = picked[k]!;
    const g = px[p + 1]!;
    const du = logRatio[px[p]! * 256 + g]! - u;
    const dv = logRatio[px[p + 2]! * 256 + g]! - v;
    if (du * du + dv * dv <= 0.1 * 0.1) near++;
  }
  return {
    rgb: [round(linearToSrgb(R), 2), round(linearToSrgb(G), 2), round(linearToSrgb(B), 2)],
    uv: [round(u, 4), round(v, 4)],
    support: round(near / count, 3),
  };
}

/**
 * The grey-edge illuminant (edges average to grey; smooth areas such as a sky add little): the
 * mean absolute derivative per channel in linear light (summed by the scan), as
 * [ln R/G, ln B/G] ([0, 0] when a channel has no edges).
 */
function greyEdge(scan: Scan): [number, number] {
  const v: [number, number] = [Math.log(scan.er / scan.eg), Math.log(scan.eb / scan.eg)];
  return Number.isFinite(v[0]) && Number.isFinite(v[1]) ? v : [0, 0];
}

/**
 * Second opinion from the grey-edge illuminant: how far it lies along the neutral estimate's
 * direction, in log chromaticity (1 = same cast, 0 = none).
 */
function edgeAgreement(v: readonly [number, number], u: readonly [number, number]): number {
  const uu = u[0] * u[0] + u[1] * u[1];
  if (!(uu > 0) || (v[0] === 0 && v[1] === 0)) return 0;
  return (u[0] * v[0] + u[1] * v[1]) / uu;
}

/** Side of the blocks the noise is measured in, and the share of blocks (the quietest) it is read from. */
const noiseBlock = 16;
const noiseQuantile = 1 / 3;

/**
 * Sharpness (Laplacian over gradient energy) and Immerkaer noise sigma on the grey copy. The
 * noise is Immerkaer's estimate per 16 x 16 block, read at the quietest third of the blocks:
 * texture (foliage, fur, wood grain) raises the blocks it fills, noise raises them all, so
 * texture has to fill two thirds of the frame to be taken for noise. Pure noise reads about
 * 10 % below the whole-image estimate; fewer than 12 blocks fall back to the whole image.
 */
function sharpnessAndNoise(grey: Float32Array, w: number, h: number): { sharpness: number; noise: number } {
  let lap2 = 0;
  let grad2 = 0;
  let immerkaer = 0;
  const bw = Math.floor(w / noiseBlock);
  const bh = Math.floor(h / noiseBlock);
  const blockSum = new Float64Array(bw * bh);
  // Columns past the last whole block belong to none.
  const xEnd = Math.min(w - 1, bw * noiseBlock);
  for (let y = 1; y < h - 1; y++) {
    const by = Math.floor(y / noiseBlock);
    const inBlocks = by < bh;
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const c = grey[i]!;
      const l = grey[i - 1]!;
      const r = grey[i + 1]!;
      const u = grey[i - w]!;
      const d = grey[i + w]!;
      const lap = l + r + u + d - 4 * c;
      lap2 += lap * lap;
      grad2 += ((r - l) / 2) ** 2 + ((d - u) / 2) ** 2;
      const diag = grey[i - w - 1]! + grey[i - w + 1]! + grey[i + w - 1]! + grey[i + w + 1]!;
      const response = Math.abs(diag - 2 * (l + r + u + d) + 4 * c);
      immerkaer += response;
      if (inBlocks && x < xEnd) {
        blockSum[by * bw + (x >> 4)]! += response;
      }
    }
  }
  const inner = Math.max(1, (w - 2) * (h - 2));
  const sigma = (sum: number, count: number): number => (Math.sqrt(Math.PI / 2) * sum) / (6 * count);
  let noise = sigma(immerkaer, inner);
  if (bw * bh >= 12) {
    // Inner pixels (1..w-2, 1..h-2) per block, counted instead of incremented per pixel.
    const inside = (b: number, size: number): number =>
      Math.max(0, Math.min(size - 2, b * noiseBlock + noiseBlock - 1) - Math.max(1, b * noiseBlock) + 1);
    const blocks = new Float64Array(bw * bh);
    for (let k = 0; k < blocks.length; k++) {
      const count = inside(k % bw, w) * inside(Math.floor(k / bw), h);
      blocks[k] = sigma(blockSum[k]!, Math.max(1, count));
    }
    blocks.sort();
    noise = blocks[Math.floor((blocks.length - 1) * noiseQuantile)]!;
  }
  return {
    sharpness: grad2 === 0 ? 0 : round(lap2 / grad2, 4),
    noise: round(noise, 3),
  };
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
