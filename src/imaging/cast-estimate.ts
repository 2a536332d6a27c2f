// The colour-cast cues of the analysis: the neutral estimate (the densest spot of the
// log-chromaticity histogram, weighted by a prior on small casts, checked across luminance bands
// and against the grey edge) and the bright-surface cue, read from what the single pixel pass
// (analysis.ts) gathered in a `Scan`.
import type { Analysis } from './analysis.js';
import { castPrior, logRatio, uvBin, uvCells, uvRange, uvSize } from './chroma-tables.js';
import { linearToSrgb, rgbToLab, srgbToLinear } from './colour-math.js';
import { round } from './plan-numbers.js';

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
export interface Scan {
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
export function estimateCast(px: Uint8Array, scan: Scan): Analysis['cast'] {
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
