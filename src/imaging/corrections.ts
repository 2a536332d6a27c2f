// Planning the enhancement from the analysis: pure functions that turn what was measured into
// sharp operations, each step scaled by the evidence of a defect ("do no harm": a good photo
// gets identity or near-identity operations; colour and tone in colour-tone-plan.ts). The plan
// is JSON-safe and kept with the job.
import { analyzePixels, type Analysis, type AnalysisDetail } from './analysis.js';
import { applyCurves, planCurves, type CurvesPlan } from './channel-curves.js';
import { planColourTone, type Decisions } from './colour-tone-plan.js';
import { clamp, r3 } from './plan-numbers.js';
import type { PipelineSettings } from './pipeline-settings.js';

type Enhancement = PipelineSettings['enhancement'];

export interface Corrections {
  /** Per-channel curves applied before everything else (a per-channel-curve cast); absent in older plans. */
  readonly curves?: CurvesPlan;
  readonly cast: { applied: boolean; measured: number; gains: [number, number, number]; reason: string };
  readonly exposure: {
    applied: boolean;
    measuredMean: number;
    exponent: number;
    /** Gain on the code values (below 1: darkening of an image with lost highlights). */
    gain: number;
    expectedMean: number;
    reason: string;
  };
  readonly contrast: {
    applied: boolean;
    black: number;
    white: number;
    /** Luma-weighted: the levels of the darkest and brightest channels' ends. */
    scale: number;
    offset: number;
    /** How far a compressed range was opened channel by channel (neutralising a cast), 0..1. */
    amount: number;
    /** Per channel (R, G, B): each channel's own ends, which also neutralises a cast of a faded print. */
    scales: number[];
    offsets: number[];
    reason: string;
  };
  readonly saturation: { applied: boolean; factor: number; reason: string };
  readonly sharpen: { applied: boolean; sigma: number; flat: number; jagged: number; reason: string };
  readonly noiseReduction: {
    applied: boolean;
    /** Gaussian blur sigma (px) for mild and moderate noise, 0 when not used. */
    blur: number;
    /** Median window (3 or 5) for strong noise, 0 when not used. */
    median: number;
    estimatedNoise: number;
    reason: string;
  };
  /** Per defect: the evidence that the photo was degraded and why a correction acted or not. */
  readonly decisions?: Decisions;
}

/** Sharpness measure (see analysis) at which an image counts as sharp, and as clearly blurred. */
const sharpSoftLimit = 2.0;
const sharpBlurred = 0.5;

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

/** Blur sigma for noise at the threshold and at the strong-noise limit (sharp's blur is a no-op below ~0.55). */
const blurAtThreshold = 0.6;
const blurAtStrong = 1.0;
/** Noise above this many thresholds counts as strong: a 5x5 median (edge-preserving, but ~7x the blur's cost). */
const strongNoise = 3;

/**
 * Noise reduction when the noise expected at output size is visible: a light Gaussian blur,
 * sigma growing with the noise (0.6..1.0 px), for mild and moderate noise; a 5x5 median only
 * for strong noise. At 2000x1333 the blur costs ~75 ms CPU, a 3x3 median ~510 ms.
 */
export function planNoise(
  a: Analysis,
  s: Enhancement['noiseReduction'],
  outLongSide: number,
): Corrections['noiseReduction'] {
  const analysedLong = Math.max(a.analyzedWidth, a.analyzedHeight);
  // Downscaling by k averages k x k pixels, dividing the noise sigma by about k.
  const estimatedNoise = r3(a.noise * Math.max(1, outLongSide / Math.max(1, analysedLong)));
  const none = (reason: string): Corrections['noiseReduction'] => ({
    applied: false,
    blur: 0,
    median: 0,
    estimatedNoise,
    reason,
  });
  if (!s.enabled || s.strength === 0) return none('disabled');
  const threshold = 5.5 / clamp(s.strength, 0.25, 2);
  if (estimatedNoise < threshold) return none('noise below threshold');
  const reason = `noise ${estimatedNoise}`;
  if (estimatedNoise > threshold * strongNoise)
    return { applied: true, blur: 0, median: 5, estimatedNoise, reason: `${reason}, strong` };
  const t = (estimatedNoise - threshold) / (threshold * (strongNoise - 1));
  const blur = r3(blurAtThreshold + (blurAtStrong - blurAtThreshold) * clamp(t, 0, 1));
  return { applied: true, blur, median: 0, estimatedNoise, reason };
}

/** The whole plan for one image. */
export function planCorrections(
  a: Analysis,
  d: AnalysisDetail,
  s: Enhancement,
  outLongSide: number,
  inLongSide: number,
  /** `curves: false` where the pipeline cannot apply per-channel curves (not decoded once). */
  opts: { readonly curves?: boolean } = {},
): Corrections {
  const curves = planCurves(d.copy, a.isGray, s.cast, opts.curves !== false);
  // The levels, exposure and cast are planned on the photo as the curves leave it: the analysis
  // copy through the curves, analysed again (only when the curves act).
  let ta = a;
  let td = d;
  if (curves.plan.applied && d.copy) {
    const { width, height } = d.copy;
    const data = Buffer.from(applyCurves(d.copy.data, curves.plan.exponents));
    const r = analyzePixels(data, width, height, a);
    ta = r.analysis;
    td = { ...r.detail, copy: { data, width, height } };
  }
  const tone = planColourTone(ta, td, s);
  return {
    curves: curves.plan,
    cast: tone.cast,
    exposure: tone.exposure,
    contrast: tone.contrast,
    saturation: planSaturation(a, s.saturation, tone.contrast.scale),
    sharpen: planSharpen(a, s.sharpen, outLongSide, inLongSide),
    noiseReduction: planNoise(a, s.noiseReduction, outLongSide),
    decisions: { ...tone.decisions, curves: curves.evidence },
  };
}
