// Planning the colour and tone corrections (levels, exposure, cast) from the evidence of defects
// (defect-evidence.ts): each acts only as far as its evidence goes, and the plan reports, per
// defect, why it acted or not. Pure; part of the plan that corrections.ts assembles.
import { percentile, type Analysis, type AnalysisDetail } from './analysis.js';
import type { Corrections } from './corrections.js';
import {
  brightEvidence,
  castEvidence,
  clippedEvidence,
  darkEvidence,
  dimEvidence,
  endsOf,
  veilEvidence,
  ramp,
  type Evidence,
} from './defect-evidence.js';
import type { PipelineSettings } from './pipeline-settings.js';
import { clamp, r3 } from './plan-numbers.js';
import { capHarm, type HarmCap } from './harm-cap.js';
import { protectSkin } from './skin-guard.js';

type Enhancement = PipelineSettings['enhancement'];

/** What was decided for each defect, with the evidence: kept with the job, shown in reports. */
export interface Decisions {
  readonly veil: Evidence;
  readonly dim: Evidence;
  readonly dark: Evidence;
  readonly bright: Evidence;
  readonly clipped: Evidence;
  readonly cast: Evidence;
  /** The per-channel-curve cast (channel-curves.ts), judged before the rest. */
  readonly curves?: Evidence;
  /** Set when the skin guard held the cast correction back (share of it kept, 0..1). */
  readonly skin?: { readonly kept: number; readonly why: string };
  /** Set when a colour or tone correction acted: its predicted change, what its evidence allowed and the share kept. */
  readonly harm?: HarmCap;
}

/** The white the brightest channel is brought to when the range is opened (8-bit). */
const openWhite = 250;
/** Mean luminance the dark and bright corrections move toward. */
const darkGoal = 0.42;
const brightGoal = 0.5;

/** Mean of the luma histogram mapped by v -> S * ((v/255)^e - lo) (0..1, clipped), times k. */
function meanAfter(hist: Float64Array, total: number, e: number, lo: number, s: number, k = 1): number {
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += hist[i]! * clamp(k * s * ((i / 255) ** e - lo), 0, 1);
  return sum / total;
}

/** Bisection for a monotone-decreasing f on [lo, hi] so that f(t) reaches `wanted`. */
function solve(f: (t: number) => number, wanted: number, lo: number, hi: number): number {
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > wanted) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface ColourTonePlan {
  readonly cast: Corrections['cast'];
  readonly exposure: Corrections['exposure'];
  readonly contrast: Corrections['contrast'];
  readonly decisions: Decisions;
}

const say = (name: string, e: Evidence, acted: boolean): string =>
  `${acted ? 'acted' : 'left alone'}: ${e.why}${e.score > 0 ? ` (${name} evidence ${e.score})` : ''}`;

/**
 * The levels (each channel's black removed as far as a veil is evident, the brightest white
 * brought toward 250 as far as the photo is evidently dim), then the exposure (a gamma exponent
 * for dark or bright mid-tones, a gain below 1 for lost highlights), then the cast (a gain per
 * channel from the whites, as far as the cast is evident), held back where it would turn skin
 * out of skin tones.
 */
export function planColourTone(a: Analysis, d: AnalysisDetail, s: Enhancement): ColourTonePlan {
  const ends = endsOf(d);
  const total = d.pixels;
  const veil = veilEvidence(ends);
  const dim = dimEvidence(ends, veil.score);
  const levelsOn = s.contrast.enabled && s.contrast.strength > 0;
  const ks = clamp(s.contrast.strength, 0, 2);
  const ev = levelsOn ? clamp(veil.score * ks, 0, 1) : 0;
  const ed = levelsOn ? clamp(dim.score * ks, 0, 1) : 0;
  // The veil's offset, the darkest channel's black, removed from every channel as far as the
  // veil is believed (a few levels kept: photos rarely reach 0 exactly). Not each channel's own
  // black: a blue scene's blue channel never gets dark, and that is its colour.
  const lumaBlack = Math.max(0, ends.black - 2) * ev;
  const blacks = [lumaBlack, lumaBlack, lumaBlack];

  // The cast: gains from the whites above each channel's removed black.
  const castOn = s.cast.enabled && s.cast.strength > 0;
  const span0 = Math.max(1, ends.white - lumaBlack);
  // The levels' stretch (the white kept where it was, opened toward 250 as far as dim).
  const stretch0 = Math.max(1, (ends.white + (openWhite - ends.white) * ed) / span0);
  let cast = castEvidence(a, ends, blacks, stretch0, ev);
  if (ev > 0) {
    // A veil with a cast is coloured (g_c · (a·x + b)): each channel's own black is then the
    // veil's. Judged with each channel's black removed, and applied as far as that reading is
    // believed (a blue scene's blue channel never dark is its colour, not a veil).
    const own = ends.blacks.map((b) => Math.max(0, b - 2) * ev);
    const coloured = castEvidence(a, ends, own, stretch0, ev);
    if (coloured.score > cast.score) {
      const t = ramp(coloured.score, 0.2, 0.7);
      for (let c = 0; c < 3; c++) blacks[c] = lumaBlack + (own[c]! - lumaBlack) * t;
      const g = castEvidence(a, ends, blacks, stretch0, ev).gains;
      cast = { ...coloured, gains: g };
    }
  }
  // Weak evidence (below 0.2) is no evidence: a scene's own tint often gives that much.
  const castAmount = castOn ? clamp(ramp(cast.score, 0.2, 0.7) * s.cast.strength, 0, 1.5) : 0;
  let gains = cast.gains.map((g) => clamp(g ** castAmount, 0.6, 1.6));

  // Exposure, judged on the tone after the levels (common black and white).
  // `bl` and `open` are the blacks removed and the dim amount: the full ones unless the harm
  // cap keeps less of the correction.
  const whiteAfter = (g: readonly number[], e: number, bl: readonly number[] = blacks): number =>
    Math.max(...ends.whites.map((w, c) => g[c]! * ((w / 255) ** e - (bl[c]! / 255) ** e)));
  // The levels keep the brightest white where it was when they remove a veil's black (a
  // stretch, not a shift that would darken everything), and open it toward 250 as far as the
  // photo is evidently dim.
  const whiteBefore = (g: readonly number[], e: number): number =>
    Math.min(1, Math.max(...ends.whites.map((w, c) => g[c]! * (w / 255) ** e)));
  const scaleFor = (g: readonly number[], e: number, bl: readonly number[] = blacks, open = ed): number => {
    const w = whiteAfter(g, e, bl);
    const base = whiteBefore(g, e);
    const wanted = base + (openWhite / 255 - base) * open;
    return w > 0 ? clamp(wanted / w, 1, 3) : 1;
  };
  const lo = (e: number): number => (lumaBlack / 255) ** e;
  const m1 = meanAfter(d.lumaHistogram, total, 1, lo(1), scaleFor(gains, 1));
  const nearBlack = percentileShare(d.lumaHistogram, total, 20);
  const p5 = percentile(d.lumaHistogram, total, 0.05) / 255;
  const dark = darkEvidence(m1, nearBlack);
  const bright = brightEvidence(m1, clamp((p5 - lumaBlack / 255) * scaleFor(gains, 1), 0, 1));
  const clipped = clippedEvidence(d, m1);
  const ex = s.exposure;
  const exOn = ex.enabled && ex.strength > 0;
  const kx = clamp(ex.strength, 0, 2);
  let e = 1;
  let k = 1;
  let exposureReason = 'disabled';
  if (exOn) {
    const edk = clamp(dark.score * kx, 0, 1);
    const ebr = clamp(bright.score * kx, 0, 1);
    const ecl = clamp(clipped.score * kx, 0, 1);
    if (ecl > 0 && ecl >= ebr) {
      const wanted = m1 - ecl * Math.max(0, m1 - brightGoal);
      const s1 = scaleFor(gains, 1);
      const t = solve((t) => meanAfter(d.lumaHistogram, total, 1, lo(1), s1, Math.exp(-t)), wanted, 0, 0.7);
      k = Math.exp(-t);
      exposureReason = say('lost highlights', clipped, true);
    } else if (edk > 0 || ebr > 0) {
      const goal = edk > 0 ? m1 + edk * (darkGoal - m1) : m1 - ebr * (m1 - brightGoal);
      const f = (t: number): number =>
        meanAfter(d.lumaHistogram, total, Math.exp(t), lo(Math.exp(t)), scaleFor(gains, Math.exp(t)));
      e = Math.exp(solve(f, goal, Math.log(0.4), Math.log(2.5)));
      exposureReason = edk > 0 ? say('dark', dark, true) : say('bright', bright, true);
    } else {
      exposureReason = `${say('dark', dark, false)}; ${say('bright', bright, false)}; ${say('lost highlights', clipped, false)}`;
    }
  }

  // Do no harm: the whole correction, every amount scaled by f (blacks, the dim opening, the
  // exposure, the cast), may move the photo only as far as its evidence allows.
  const at = (f: number, castShare = 1) => {
    const g = gains.map((x) => x ** (f * castShare));
    const bl = blacks.map((b) => b * f);
    const ef = e ** f;
    return mappingFor(g, ef, scaleFor(g, ef, bl, ed * f) * k ** f, bl);
  };
  const acting = [
    ev > 0 ? veil.score : 0,
    ed > 0 ? dim.score : 0,
    Math.abs(e - 1) > 0.005 ? Math.max(dark.score, bright.score) : 0,
    Math.abs(k - 1) > 0.005 ? clipped.score : 0,
    castAmount > 0 ? cast.score : 0,
  ];
  let harm: Decisions['harm'];
  let f = 1;
  if (d.copy && Math.max(...acting) > 0) {
    const cap = capHarm(d.copy, (x) => at(x), Math.max(...acting));
    harm = cap;
    f = cap.kept;
  }
  // Skin: the whole colour mapping must not move skin out of skin tones.
  let skin: Decisions['skin'];
  let castShare = 1;
  if (d.copy && castAmount > 0 && f > 0) {
    const guard = protectSkin(d.copy, (t) => at(f, t));
    if (guard.kept < 1) {
      castShare = guard.kept;
      skin = { kept: r3(guard.kept), why: guard.why };
    }
  }
  const m = at(f, castShare);
  gains = m.gains;
  e = m.e;
  blacks.splice(0, 3, ...blacks.map((b) => b * f));
  const S = scaleFor(gains, e, blacks, ed * f);
  k = m.scale / S;
  const gainsR = gains.map(r3) as [number, number, number];
  const castApplied = gainsR.some((g) => g !== 1);
  const exposureApplied = Math.abs(e - 1) > 0.005 || Math.abs(k - 1) > 0.005;
  const contrastApplied = ev * f > 0 || S > 1.005;
  const loF = (x: number): number => ((lumaBlack * f) / 255) ** x;
  const capped = harm && harm.kept < 1 ? `; do no harm: ${harm.why}` : '';
  const decisions: Decisions = {
    veil,
    dim,
    dark,
    bright,
    clipped,
    cast,
    ...(skin ? { skin } : {}),
    ...(harm ? { harm } : {}),
  };
  return {
    cast: {
      applied: castApplied,
      measured: r3(a.cast.magnitude),
      gains: castApplied ? gainsR : [1, 1, 1],
      reason: `${say('cast', cast, castApplied)}${castApplied ? capped : ''}${skin ? `; skin guard kept ${skin.kept} of it (${skin.why})` : ''}`,
    },
    exposure: {
      applied: exposureApplied,
      measuredMean: r3(a.meanLuminance),
      exponent: exposureApplied ? r3(e) : 1,
      gain: exposureApplied ? r3(k) : 1,
      expectedMean: r3(meanAfter(d.lumaHistogram, total, e, loF(e), S, k)),
      reason: `${exposureReason}${exposureApplied ? capped : ''}`,
    },
    contrast: {
      applied: contrastApplied,
      black: r3((lumaBlack * f) / 255),
      white: r3(whiteAfter(gains, e)),
      scale: contrastApplied ? r3(S) : 1,
      offset: contrastApplied ? r3(-S * loF(e) * 255) : 0,
      amount: r3(Math.max(ev, ed) * f),
      scales: contrastApplied ? [0, 1, 2].map(() => r3(S)) : [1, 1, 1],
      offsets: contrastApplied ? m.offsets.map(r3) : [0, 0, 0],
      reason: !levelsOn
        ? 'disabled'
        : `${say('veil', veil, ev > 0)}; ${say('dim', dim, ed > 0)}${contrastApplied ? capped : ''}`,
    },
    decisions,
  };
}

/** Share of pixels whose luma is below `level` (8-bit). */
function percentileShare(hist: Float64Array, total: number, level: number): number {
  let n = 0;
  for (let i = 0; i < level; i++) n += hist[i]!;
  return n / Math.max(1, total);
}

/**
 * The per-channel mapping the pipeline applies (see applyCorrections: gamma, then one linear
 * with the cast gains raised to the exponent): v -> scale * g^e * (v/255)^e * 255 + offset, with
 * offset removing each channel's black. `scale` includes the exposure gain.
 */
export function mappingFor(
  gains: readonly number[],
  e: number,
  scale: number,
  blacks: readonly number[],
): { gains: number[]; e: number; scale: number; offsets: number[] } {
  return {
    gains: [...gains],
    e,
    scale,
    offsets: gains.map((g, c) => -255 * scale * g ** e * (blacks[c]! / 255) ** e),
  };
}
