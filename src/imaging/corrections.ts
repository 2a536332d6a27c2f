// Planning the enhancement from the analysis: pure functions that turn what was measured into
// sharp operations, each step scaled by how large the defect is ("do no harm": a good photo
// gets identity or near-identity operations). The plan is JSON-safe and kept with the job.
import type { Analysis, AnalysisDetail } from './analysis.js';
import type { PipelineSettings } from './pipeline-settings.js';

type Enhancement = PipelineSettings['enhancement'];

export interface Corrections {
  readonly cast: { applied: boolean; measured: number; gains: [number, number, number]; reason: string };
  readonly exposure: {
    applied: boolean;
    measuredMean: number;
    exponent: number;
    expectedMean: number;
    reason: string;
  };
  readonly contrast: {
    applied: boolean;
    black: number;
    white: number;
    scale: number;
    offset: number;
    reason: string;
  };
  readonly saturation: { applied: boolean; factor: number; reason: string };
  readonly sharpen: { applied: boolean; sigma: number; flat: number; jagged: number; reason: string };
  readonly noiseReduction: { applied: boolean; median: number; estimatedNoise: number; reason: string };
}

/** Sharpness measure (see analysis) at which an image counts as sharp, and as clearly blurred. */
const sharpSoftLimit = 2.0;
const sharpBlurred = 0.5;

/** Casts up to this many delta E are not corrected, and larger ones less this much. */
const castDeadband = 3;
/** Share of exposure.tolerance allowed above the target. */
const brightSideTolerance = 0.7;

const r3 = (v: number): number => Number(v.toFixed(3));
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Cast: per-channel gains that bring the neutral estimate to grey at the same luma. */
export function planCast(a: Analysis, s: Enhancement['cast']): Corrections['cast'] {
  const measured = a.cast.magnitude;
  const none = (reason: string): Corrections['cast'] => ({
    applied: false,
    measured,
    gains: [1, 1, 1],
    reason,
  });
  if (!s.enabled || s.strength === 0) return none('disabled');
  if (a.isGray) return none('grey image');
  if (measured <= castDeadband) return none('no visible cast');
  if (a.cast.confidence < 0.03) return none('too few neutral pixels to judge');
  const [r, g, b] = a.cast.neutralRgb;
  const grey = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Confidence below 20 % of pixels weakens the correction: the "neutrals" may be a real colour.
  // The first 3 delta E are left alone: slight warmth is often the scene, not a fault.
  const amount = clamp(
    s.strength * Math.min(1, a.cast.confidence / 0.1) * (1 - castDeadband / measured),
    0,
    1.5,
  );
  const gain = (c: number): number => r3(clamp((grey / Math.max(c, 1)) ** amount, 0.6, 1.6));
  return {
    applied: true,
    measured,
    gains: [gain(r), gain(g), gain(b)],
    reason: `cast of ${measured} delta E`,
  };
}

/** Tone after levels and exponent on normalised luma x: ((x^e) - lo) / (hi - lo). */
function toneMean(hist: Float64Array, total: number, e: number, lo: number, hi: number): number {
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    const v = ((i / 255) ** e - lo) / (hi - lo);
    sum += hist[i]! * clamp(v, 0, 1);
  }
  return sum / total;
}

interface Levels {
  lo: number;
  hi: number;
}

/** Black and white points (normalised, after the exponent) that clip at most clipPercent each end. */
function levelsFor(d: AnalysisDetail, s: Enhancement['contrast'], e: number): Levels {
  if (!s.enabled || s.strength === 0) return { lo: 0, hi: 1 };
  const q = s.clipPercent / 100;
  let acc = 0;
  let black = 0;
  for (let i = 0; i < 256; i++) {
    acc += d.lumaHistogram[i]!;
    if (acc > d.pixels * q) {
      black = i;
      break;
    }
  }
  acc = 0;
  let white = 255;
  for (let i = 255; i >= 0; i--) {
    acc += d.lumaHistogram[i]!;
    if (acc > d.pixels * q) {
      white = i;
      break;
    }
  }
  const b0 = (black / 255) ** e;
  const w0 = (white / 255) ** e;
  const range = w0 - b0;
  const wanted = 0.92;
  if (range >= wanted || range <= 0) return { lo: 0, hi: 1 };
  // Extend the range toward `wanted`, sharing the extension by the room left at each end:
  // a flat image is opened at both ends, a dark one mostly at the top.
  const ext = (wanted - range) * clamp(s.strength, 0, 1.5);
  const roomBelow = b0;
  const roomAbove = 1 - w0;
  const newB = b0 - (ext * roomBelow) / (roomBelow + roomAbove);
  const newW = w0 + (ext * roomAbove) / (roomBelow + roomAbove);
  const scale = Math.min(2.2, (newW - newB) / range);
  // Express as the input points that map to 0 and 1.
  const lo = b0 - newB / scale;
  const hi = lo + 1 / scale;
  return { lo, hi };
}

/** Exposure exponent and levels together: levels first, then an exponent toward the target mean. */
export function planTone(
  a: Analysis,
  d: AnalysisDetail,
  s: Enhancement,
): { exposure: Corrections['exposure']; contrast: Corrections['contrast'] } {
  const total = d.pixels;
  const levels1 = levelsFor(d, s.contrast, 1);
  const m0 = toneMean(d.lumaHistogram, total, 1, levels1.lo, levels1.hi);
  const ex = s.exposure;
  let e = 1;
  let reason = 'disabled';
  if (ex.enabled && ex.strength > 0) {
    const dev = m0 - ex.target;
    // Too bright is judged more strictly than too dark: highlights lost in print do not come back.
    const tolerance = dev > 0 ? ex.tolerance * brightSideTolerance : ex.tolerance;
    if (Math.abs(dev) <= tolerance) reason = 'brightness within tolerance';
    else {
      // Keep half the deviation (a night scene stays darker than noon) and never cross the target.
      const goal = ex.target + dev / 2;
      const desired = m0 + clamp(ex.strength, 0, 2) * (goal - m0);
      const wanted = dev > 0 ? Math.max(desired, ex.target) : Math.min(desired, ex.target);
      let lo = Math.log(0.4);
      let hi = Math.log(2.2);
      for (let i = 0; i < 40; i++) {
        const mid = (lo + hi) / 2;
        const lv = levelsFor(d, s.contrast, Math.exp(mid));
        const m = toneMean(d.lumaHistogram, total, Math.exp(mid), lv.lo, lv.hi);
        if (m > wanted) lo = mid;
        else hi = mid;
      }
      e = Math.exp((lo + hi) / 2);
      reason = `mean luminance ${r3(m0)} vs target ${ex.target}`;
    }
  }
  const lv = levelsFor(d, s.contrast, e);
  const scale = 1 / (lv.hi - lv.lo);
  const contrastApplied = scale > 1.005;
  const exposureApplied = Math.abs(e - 1) > 0.005;
  return {
    exposure: {
      applied: exposureApplied,
      measuredMean: r3(a.meanLuminance),
      exponent: exposureApplied ? r3(e) : 1,
      expectedMean: r3(toneMean(d.lumaHistogram, total, exposureApplied ? e : 1, lv.lo, lv.hi)),
      reason,
    },
    contrast: {
      applied: contrastApplied,
      black: r3(lv.lo),
      white: r3(lv.hi),
      scale: contrastApplied ? r3(scale) : 1,
      offset: contrastApplied ? r3(-lv.lo * scale * 255) : 0,
      reason: !s.contrast.enabled
        ? 'disabled'
        : contrastApplied
          ? `range ${r3(a.contrast)} stretched`
          : 'full range already',
    },
  };
}

/** Saturation: only washed-out colour images get a boost, at most 15 % (30 % at strength 2). */
export function planSaturation(
  a: Analysis,
  s: Enhancement['saturation'],
  stretch: number,
): Corrections['saturation'] {
  if (!s.enabled || s.strength === 0) return { applied: false, factor: 1, reason: 'disabled' };
  const after = a.meanChroma * stretch;
  if (a.isGray || a.meanChroma < 1.5) return { applied: false, factor: 1, reason: 'grey image' };
  if (after >= 8) return { applied: false, factor: 1, reason: 'colourful enough' };
  const factor = r3(1 + clamp(s.strength, 0, 2) * 0.15 * ((8 - after) / 8));
  return { applied: factor > 1.005, factor, reason: `mean chroma ${r3(after)} after contrast` };
}

/**
 * Sharpening: radius grows with the output's long side (print of a large file needs a larger
 * radius to show), amount with how soft the analysis copy is. Flat areas of sharp images are
 * left alone (no noise amplification).
 */
export function planSharpen(
  a: Analysis,
  s: Enhancement['sharpen'],
  outLongSide: number,
  inLongSide: number,
): Corrections['sharpen'] {
  if (!s.enabled || s.strength === 0)
    return { applied: false, sigma: 0, flat: 0, jagged: 0, reason: 'disabled' };
  const sigma = r3(clamp(outLongSide / 3000, 0.5, 1.5));
  // Softness from the analysis copy; downscaling by half or more also softens edges.
  const softness = clamp((sharpSoftLimit - a.sharpness) / (sharpSoftLimit - sharpBlurred), 0, 1);
  const downscale = clamp((1 - outLongSide / Math.max(1, inLongSide)) * 0.6, 0, 0.5);
  const jagged = r3(clamp(s.strength, 0, 2) * (2 * softness + downscale));
  if (jagged < 0.05)
    return { applied: false, sigma: 0, flat: 0, jagged: 0, reason: `sharp enough (${a.sharpness})` };
  // Soft images have gentle edges that sharp's threshold counts as flat: sharpen those too,
  // with a radius that reaches across the blur.
  const flat = r3(jagged * 0.5 * softness);
  const radius = r3(Math.max(sigma, 0.5 + 0.7 * softness));
  return {
    applied: true,
    sigma: radius,
    flat,
    jagged,
    reason: `sharpness ${a.sharpness}, output ${outLongSide} px`,
  };
}

/** Noise reduction: a 3x3 median when the noise expected at output size is visible. */
export function planNoise(
  a: Analysis,
  s: Enhancement['noiseReduction'],
  outLongSide: number,
): Corrections['noiseReduction'] {
  const analysedLong = Math.max(a.analyzedWidth, a.analyzedHeight);
  // Downscaling by k averages k x k pixels, dividing the noise sigma by about k.
  const estimatedNoise = r3(a.noise * Math.max(1, outLongSide / Math.max(1, analysedLong)));
  if (!s.enabled || s.strength === 0)
    return { applied: false, median: 0, estimatedNoise, reason: 'disabled' };
  const threshold = 5.5 / clamp(s.strength, 0.25, 2);
  if (estimatedNoise < threshold)
    return { applied: false, median: 0, estimatedNoise, reason: 'noise below threshold' };
  return {
    applied: true,
    median: estimatedNoise > threshold * 3 ? 5 : 3,
    estimatedNoise,
    reason: `noise ${estimatedNoise}`,
  };
}

/** The whole plan for one image. */
export function planCorrections(
  a: Analysis,
  d: AnalysisDetail,
  s: Enhancement,
  outLongSide: number,
  inLongSide: number,
): Corrections {
  const tone = planTone(a, d, s);
  return {
    cast: planCast(a, s.cast),
    exposure: tone.exposure,
    contrast: tone.contrast,
    saturation: planSaturation(a, s.saturation, tone.contrast.scale),
    sharpen: planSharpen(a, s.sharpen, outLongSide, inLongSide),
    noiseReduction: planNoise(a, s.noiseReduction, outLongSide),
  };
}
