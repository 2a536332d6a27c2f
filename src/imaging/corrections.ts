// Planning the enhancement from the analysis: pure functions that turn what was measured into
// sharp operations, each step scaled by how large the defect is ("do no harm": a good photo
// gets identity or near-identity operations). The plan is JSON-safe and kept with the job.
import { percentile, type Analysis, type AnalysisDetail } from './analysis.js';
import { planCast, whitePatchGains } from './cast-correction.js';
import { clamp, r3 } from './plan-numbers.js';
import type { PipelineSettings } from './pipeline-settings.js';

type Enhancement = PipelineSettings['enhancement'];

export interface Corrections {
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
}

/** Sharpness measure (see analysis) at which an image counts as sharp, and as clearly blurred. */
const sharpSoftLimit = 2.0;
const sharpBlurred = 0.5;

/** Share of exposure.tolerance allowed above the target. */
const brightSideTolerance = 0.7;

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
  /** Input points (0..1, after the exponent) mapped to 0 and 1, from the darkest and brightest channels: the tone the mean is judged on. */
  lo: number;
  hi: number;
  /** How far the range is opened, 0..1. */
  amount: number;
  /** The same per channel (R, G, B), from each channel's own ends. */
  channels: readonly { lo: number; hi: number }[];
}

type Ends = { black: number; white: number; channels: readonly { black: number; white: number }[] };

/** Range (brightest-channel white minus darkest-channel black, 8-bit) at which a photo counts as full, and as clearly compressed. */
const fullRange = 200;
const compressedRange = 185;
/** Share of pixels with a channel at 255 above which highlights count as lost (over-exposure). */
const clippedShare = 0.03;
/** A white point at or above this reaches white: a dark mean is then the scene (low key), not a fault. */
const reachesWhite = 235;
/** Low-key scenes (highlights reach white) get this much more tolerance below the target. */
const lowKeyTolerance = 2;

/** Where the tonal range ends: the darkest channel's black and the brightest channel's white, clipPercent outside each. */
function rangeEnds(d: AnalysisDetail, clipPercent: number): Ends {
  const q = Math.max(clipPercent, 0.01) / 100;
  return {
    black: percentile(d.minChannelHistogram, d.pixels, q),
    white: percentile(d.maxChannelHistogram, d.pixels, 1 - q),
    // Each channel's own ends nearly at its extremes (a 30th of clipPercent): the share
    // clipped at each end then stays tiny whatever the channel, and the balance between the
    // channels (what colour the whites are) is judged on the same, extreme, pixels.
    channels: d.channelHistograms.map((h) => ({
      black: percentile(h, d.pixels, q / 30),
      white: percentile(h, d.pixels, 1 - q / 30),
    })),
  };
}

/**
 * The ends as the levels see them: the cast gains act before the levels in the same linear
 * step, so each channel's ends move by its gain, and the darkest and brightest channels' ends
 * by the ratio the gains give the channels' own percentiles.
 */
function endsAfterCast(d: AnalysisDetail, ends: Ends, clipPercent: number, gains: readonly number[]): Ends {
  if (gains.every((g) => Math.abs(g - 1) < 1e-3)) return ends;
  const q = Math.max(clipPercent, 0.01) / 100;
  const blacks = d.channelHistograms.map((h) => percentile(h, d.pixels, q));
  const whites = d.channelHistograms.map((h) => percentile(h, d.pixels, 1 - q));
  const minBlack = Math.min(...blacks);
  const maxWhite = Math.max(...whites);
  const minBlackAfter = Math.min(...blacks.map((b, i) => b * gains[i]!));
  const maxWhiteAfter = Math.max(...whites.map((w, i) => w * gains[i]!));
  return {
    black: minBlack > 0 ? (ends.black * minBlackAfter) / minBlack : ends.black,
    white: Math.min(255, maxWhite > 0 ? (ends.white * maxWhiteAfter) / maxWhite : ends.white),
    channels: ends.channels.map((c, i) => ({
      black: c.black * gains[i]!,
      white: Math.min(255, c.white * gains[i]!),
    })),
  };
}

/** A channel that would need more stretch than this on its own did not span the range: its narrow range is the scene's. */
const plausibleStretch = 2.5;
const implausibleStretch = 2.9;

/**
 * Levels: only a clearly compressed range (nothing near black AND nothing near white, the
 * mark of a flat scan, haze over the whole frame or under-exposure) is opened, the same for
 * the three channels so colours keep their balance; a photo whose range ends near 0 and 255
 * is left as it is. `ends` are the 8-bit range ends, `e` the exposure exponent applied first.
 */
function levelsFor(
  ends: Ends,
  s: Enhancement['contrast'],
  e: number,
  perChannel: number,
  judged: Ends = ends,
): Levels {
  // How compressed the range is, is judged on the photo as it is (`judged`); the mapping uses
  // the ends the levels will see (after the cast gains).
  const { black, white } = judged;
  // With cast evidence, the channels' own ranges say how compressed the image is (a cast
  // shifts the channels apart, widening the darkest-to-brightest-channel range).
  const ownRange = Math.max(...judged.channels.map((c) => c.white - c.black));
  const range = white - black + (Math.min(ownRange, white - black) - (white - black)) * perChannel;
  const none: Levels = { lo: 0, hi: 1, amount: 0, channels: [0, 1, 2].map(() => ({ lo: 0, hi: 1 })) };
  if (!s.enabled || s.strength === 0 || range <= 0) return none;
  const amount = clamp(((fullRange - range) / (fullRange - compressedRange)) * s.strength, 0, 1);
  if (amount === 0) return none;
  // The ends move toward black and white by `amount` (targets in the output, 0..1).
  const map = (b8: number, w8: number): { lo: number; hi: number } => {
    const newB = (b8 / 255) * (1 - amount);
    const newW = w8 / 255 + (1 - w8 / 255) * amount;
    const b0 = (b8 / 255) ** e;
    const w0 = (w8 / 255) ** e;
    if (w0 - b0 <= 0) return { lo: 0, hi: 1 };
    const scale = Math.min(2.6, (newW - newB) / (w0 - b0));
    const lo = b0 - newB / scale;
    return { lo, hi: lo + 1 / scale };
  };
  const common = map(ends.black, ends.white);
  const mix = (c: { lo: number; hi: number }): { lo: number; hi: number } => ({
    lo: common.lo + (c.lo - common.lo) * perChannel,
    hi: common.hi + (c.hi - common.hi) * perChannel,
  });
  return { ...common, amount, channels: ends.channels.map((c) => mix(map(c.black, c.white))) };
}

/**
 * How much the levels follow each channel's own ends (0: the same for the three, 1: each its
 * own, which also makes the whites and blacks neutral, the classic repair of a faded colour
 * print): only as much as the cast analysis independently sees a clear cast, or the
 * channels' own ranges differ clearly. A naturally tinted flat scene keeps its colour.
 */
function castEvidence(a: Analysis, ends: Ends): number {
  if (a.isGray) return 0;
  const seen = clamp((a.cast.magnitude - 8) / 8, 0, 1) * clamp(a.cast.confidence / 0.1, 0, 1);
  // Channels compressed by clearly different factors (widest range over narrowest above 1.3):
  // the fading itself was coloured.
  const ranges = ends.channels.map((c) => Math.max(1, c.white - c.black));
  const spread = clamp((Math.max(...ranges) / Math.min(...ranges) - 1.15) / 0.15, 0, 1);
  return Math.max(seen, spread);
}

/** Bisection on a monotone-decreasing function of t over [lo, hi] so that f(t) reaches wanted. */
function solve(f: (t: number) => number, wanted: number, lo: number, hi: number): number {
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > wanted) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Exposure and levels together: levels first (a compressed range), then the exposure toward
 * the target mean. Brightening is a gamma exponent; a photo whose highlights already reach
 * white gets a wider tolerance (a dark scene with bright lights is low key, not a fault).
 * Darkening with lost highlights (over 3 % of pixels with a channel at 255) is a gain below
 * 1 on the code values, like an exposure compensation in a raw converter (the clipped areas
 * become light grey, as they do there); without lost highlights it is a gamma exponent.
 * Saturated colours that lost a channel (`colourClipped`, 1 % to 4 % of pixels) remove the
 * tolerance above the target: a bright photo whose colours clip is over-exposed, however
 * close its mean is to the target.
 */
export function planTone(
  a: Analysis,
  d: AnalysisDetail,
  s: Enhancement,
  /** Share of pixels whose colour was lost to clipping that no cast explains (see colourLost). */
  colourClipped = 0,
  /** The cast gains planned with nothing opened by the levels (R, G, B). */
  castGains: readonly number[] = [1, 1, 1],
): { exposure: Corrections['exposure']; contrast: Corrections['contrast'] } {
  const total = d.pixels;
  const own = rangeEnds(d, s.contrast.clipPercent);
  // Per-channel levels assume each channel once spanned the range (a faded print); a channel
  // that would need an implausible stretch on its own (a cat's blue channel) says otherwise.
  const stretch = 255 / Math.max(1, Math.min(...own.channels.map((c) => c.white - c.black)));
  const perChannel =
    castEvidence(a, own) *
    clamp((implausibleStretch - stretch) / (implausibleStretch - plausibleStretch), 0, 1);
  // The cast gains left after the per-channel levels (which neutralise as far as they open)
  // act before the levels: the levels are planned on the ends those gains give.
  // Only for a range that is compressed as it is: a cast correction that narrows a full range
  // does not make the photo flat.
  const amount0 = levelsFor(own, s.contrast, 1, perChannel).amount;
  const opened = amount0 * perChannel;
  const ends =
    amount0 > 0
      ? endsAfterCast(
          d,
          own,
          s.contrast.clipPercent,
          castGains.map((g) => g ** (1 - opened)),
        )
      : own;
  const levels1 = levelsFor(ends, s.contrast, 1, perChannel, own);
  const m0 = toneMean(d.lumaHistogram, total, 1, levels1.lo, levels1.hi);
  const ex = s.exposure;
  let e = 1;
  let gain = 1;
  let reason = 'disabled';
  if (ex.enabled && ex.strength > 0) {
    const dev = m0 - ex.target;
    const highlight = percentile(d.maxChannelHistogram, total, 0.999) / 255;
    const lowKey = (highlight - levels1.lo) / (levels1.hi - levels1.lo) >= reachesWhite / 255;
    const clipped = d.maxChannelHistogram[255]! / total;
    // Saturated colours that lost a channel (1 % of pixels: no evidence, 4 %: full): unlike
    // a blown white sky, direct evidence of over-exposure.
    const coloursLost = dev > 0 ? clamp((colourClipped - 0.01) / 0.03, 0, 1) : 0;
    // Too bright is judged more strictly than too dark: highlights lost in print do not come back.
    const tolerance =
      dev > 0
        ? ex.tolerance * brightSideTolerance * (1 - coloursLost)
        : ex.tolerance * (lowKey ? lowKeyTolerance : 1);
    if (Math.abs(dev) <= tolerance) reason = 'brightness within tolerance';
    else {
      // Keep half the deviation (a night scene stays darker than noon) and never cross the target;
      // lost highlights are strong evidence of over-exposure: only a quarter of it is kept, and
      // none as far as saturated colours lost a channel (a bright scene whose colours clip
      // was not bright, it was over-exposed).
      const lost = dev > 0 && clipped > clippedShare;
      const goal = ex.target + (lost ? (dev / 4) * (1 - coloursLost) : dev / 2);
      const desired = m0 + clamp(ex.strength, 0, 2) * (goal - m0);
      const wanted = dev > 0 ? Math.max(desired, ex.target) : Math.min(desired, ex.target);
      if (lost) {
        const lv = levels1;
        const lg = solve(
          (t) => toneMean(d.lumaHistogram, total, 1, lv.lo * Math.exp(t), lv.hi * Math.exp(t)),
          wanted,
          0,
          -Math.log(0.6),
        );
        gain = Math.exp(-lg);
        reason = `mean luminance ${r3(m0)} vs target ${ex.target}, ${r3(clipped * 100)} % clipped, ${r3(colourClipped * 100)} % colours clipped`;
      } else {
        const lt = solve(
          (t) => {
            const lv = levelsFor(ends, s.contrast, Math.exp(t), perChannel, own);
            return toneMean(d.lumaHistogram, total, Math.exp(t), lv.lo, lv.hi);
          },
          wanted,
          Math.log(0.4),
          Math.log(2.2),
        );
        e = Math.exp(lt);
        reason = `mean luminance ${r3(m0)} vs target ${ex.target}`;
      }
    }
  }
  const lv = levelsFor(ends, s.contrast, e, perChannel, own);
  const scale = 1 / (lv.hi - lv.lo);
  const contrastApplied = lv.amount > 0 && lv.channels.some((c) => Math.abs(c.hi - c.lo - 1) > 0.005);
  const exposureApplied = Math.abs(e - 1) > 0.005 || Math.abs(gain - 1) > 0.005;
  const lo = lv.lo / gain;
  const hi = lv.hi / gain;
  return {
    exposure: {
      applied: exposureApplied,
      measuredMean: r3(a.meanLuminance),
      exponent: exposureApplied ? r3(e) : 1,
      gain: exposureApplied ? r3(gain) : 1,
      expectedMean: r3(toneMean(d.lumaHistogram, total, exposureApplied ? e : 1, lo, hi)),
      reason,
    },
    contrast: {
      applied: contrastApplied,
      black: r3(lv.lo),
      white: r3(lv.hi),
      scale: contrastApplied ? r3(scale) : 1,
      offset: contrastApplied ? r3(-lv.lo * scale * 255) : 0,
      amount: r3(lv.amount * perChannel),
      scales: contrastApplied ? lv.channels.map((c) => r3(1 / (c.hi - c.lo))) : [1, 1, 1],
      offsets: contrastApplied ? lv.channels.map((c) => r3((-c.lo / (c.hi - c.lo)) * 255)) : [0, 0, 0],
      reason: !s.contrast.enabled
        ? 'disabled'
        : contrastApplied
          ? `range ${ends.black}..${ends.white} stretched`
          : 'range not compressed',
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

/**
 * Share of pixels whose colour was lost to clipping and that the cast does not explain: a
 * clipped channel the cast correction lowers (a warm cast clips reds), or a darkest channel it
 * raises back above 220 (a white sky under a warm cast clips red and green), is the cast's
 * doing; the rest is evidence of over-exposure.
 */
function colourLost(d: AnalysisDetail, gains: readonly number[]): number {
  const h = d.colourClipped;
  if (h === undefined || d.pixels === 0) return 0;
  let lost = 0;
  for (let mask = 1; mask < 7; mask++) {
    const explained = [0, 1, 2].some((c) => (mask & (1 << c)) !== 0 && gains[c]! < 0.96);
    if (explained) continue;
    for (let darkest = 0; darkest < 3; darkest++) {
      const base = (mask * 3 + darkest) * 256;
      for (let v = 0; v < 220; v++) if (v * gains[darkest]! < 220) lost += h[base + v]!;
    }
  }
  return lost / d.pixels;
}

/** The whole plan for one image. */
export function planCorrections(
  a: Analysis,
  d: AnalysisDetail,
  s: Enhancement,
  outLongSide: number,
  inLongSide: number,
): Corrections {
  const topWhite = percentile(d.maxChannelHistogram, d.pixels, 0.999);
  // Colours clipped in a channel that the cast correction lowers are the cast's doing (a warm
  // cast clips reds); in the other channels they are evidence of over-exposure.
  const whites = d.channelHistograms.map((h) => percentile(h, d.pixels, 0.999));
  const blown = d.channelHistograms.map((h) => h[255]! / Math.max(1, d.pixels));
  const castAlone = planCast(a, s.cast, 0, topWhite, whitePatchGains(d), whites, blown);
  const tone = planTone(a, d, s, colourLost(d, castAlone.gains), castAlone.gains);
  return {
    cast: planCast(
      a,
      s.cast,
      tone.contrast.amount,
      percentile(d.maxChannelHistogram, d.pixels, 0.999),
      whitePatchGains(d),
      whites,
      blown,
    ),
    exposure: tone.exposure,
    contrast: tone.contrast,
    saturation: planSaturation(a, s.saturation, tone.contrast.scale),
    sharpen: planSharpen(a, s.sharpen, outLongSide, inLongSide),
    noiseReduction: planNoise(a, s.noiseReduction, outLongSide),
  };
}
