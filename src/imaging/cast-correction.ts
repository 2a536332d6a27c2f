// Planning the colour-cast correction from the analysis: the cues (neutral estimate, bright
// surfaces, the channels' whites, the grey edge) weighed by their evidence and by how close they
// lie to the daylight locus, turned into per-channel gains that keep green. Pure; part of the
// plan that corrections.ts assembles.
import { percentile, type Analysis, type AnalysisDetail } from './analysis.js';
import type { Corrections } from './corrections.js';
import type { PipelineSettings } from './pipeline-settings.js';
import { clamp, r3 } from './plan-numbers.js';
import { refineByWhitePoint, whitePointCue } from './white-point.js';

type Enhancement = PipelineSettings['enhancement'];

/** Casts up to this many delta E are not corrected; up to twice as many, partly. */
const castDeadband = 6;

/**
 * In log chromaticity (ln R/G, ln B/G of linear light) the daylight and Planckian loci from
 * 3000 K to 12000 K lie close to the line through the origin with this direction: real
 * illuminant casts (tungsten, shade, overcast) lie near it; a strong magenta or green "cast" is
 * more often the scene (pink flowers, an orange cat) than the light.
 */
const locusNormal = [0.85, 0.53] as const;
/**
 * Off-locus distance up to which a cue is fully believed, and from which it is not believed,
 * on either side. Real illuminants stray to the green side (fluorescent tubes, light reflected
 * by foliage); on the magenta side the Planckian locus (tungsten) lies only about 0.07 from
 * the daylight locus, and little light is pinker: there a "cast" is mostly the scene's colour.
 */
const greenSide = [0.15, 0.3] as const;
const magentaSide = [0.1, 0.2] as const;
/** Neutral estimate and bright surfaces within this distance (log chromaticity) agree. */
const cuesAgree = 0.15;
/** A white patch is believed only when some channel reaches this (a white or specular surface is in the picture). */
const whiteSeen = 240;

const toLinear = (c: number): number => {
  const v = clamp(c, 0, 255) / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};

/** [ln R/G, ln B/G] of linear light for an 8-bit (fractional) RGB. */
function logChroma(rgb: readonly number[]): [number, number] {
  const [r, g, b] = rgb.map((c) => Math.max(toLinear(c), 1e-6)) as [number, number, number];
  return [Math.log(r / g), Math.log(b / g)];
}

/** Cosine of the angle between two directions (1 when one of them is zero). */
function cosine(p: readonly number[], q: readonly number[]): number {
  const n = Math.hypot(p[0]!, p[1]!) * Math.hypot(q[0]!, q[1]!);
  return n === 0 ? 1 : (p[0]! * q[0]! + p[1]! * q[1]!) / n;
}

/** 1 near the daylight locus, falling to 0 at the far limit of its side. */
function locusWeight(uv: readonly number[]): number {
  return sideWeight(uv[0]! * locusNormal[0] + uv[1]! * locusNormal[1]);
}

/** locusWeight for a signed distance from the locus (positive: magenta side). */
function sideWeight(side: number): number {
  const [near, far] = side > 0 ? magentaSide : greenSide;
  return clamp((far - Math.abs(side)) / (far - near), 0, 1);
}

/**
 * Gains on the code values that make an 8-bit RGB grey, green kept: like a camera's or raw
 * converter's white balance (multipliers with green at 1), the correction moves red and blue
 * and leaves the exposure, which green carries most of, alone. (Keeping luma instead left a
 * cool cast's darkening in: bench cool cast 5.16 vs 4.91 with green kept; warm 4.06 vs 4.29.)
 */
function greyGains(rgb: readonly number[]): number[] {
  const grey = rgb[1]!;
  return rgb.map((c) => grey / Math.max(c, 1));
}

/** Chroma (C*ab) of an 8-bit RGB: how far from neutral it is, in delta E. */
function chromaOf(rgb: readonly number[]): number {
  const [r, g, b] = rgb.map(toLinear) as [number, number, number];
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047);
  const fy = f(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
  const fz = f((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883);
  return Math.hypot(500 * (fx - fy), 200 * (fy - fz));
}

/**
 * Cast: per-channel gains that bring the illuminant estimate to grey, green kept. Two
 * cues: the neutral estimate (the densest near-grey chromaticity) and the brightest unclipped
 * surfaces (white patch). Agreeing, they are averaged and a milder cast is corrected (two
 * independent cues are the evidence; they fail on different scenes: a cat without white, a
 * frame filled by one colour). Disagreeing, the one with more evidence is used: the neutral
 * estimate's confidence, the bright surfaces' consistency (one colour), each weighted by how
 * close the cast lies to the daylight locus.
 *
 * `opened` is how far per-channel levels already opened a compressed range (0..1): each
 * channel's own ends then already made the whites and blacks neutral, and the cast measured
 * on the original would be corrected twice. `topWhite` is the brightest channel's 99.9th
 * percentile: the bright surfaces are believed only when something reaches white.
 */
export function planCast(
  a: Analysis,
  s: Enhancement['cast'],
  opened = 0,
  topWhite = 255,
  whitePatch?: (neutralGains: number[]) => number[] | undefined,
  /** Each channel's white (99.9th percentile, 8-bit): the white-point cue. */
  whites?: readonly number[],
  /** Share of pixels at 255 in each channel (blown highlights). */
  blown?: readonly number[],
): Corrections['cast'] {
  const none = (reason: string, measured = a.cast.magnitude): Corrections['cast'] => ({
    applied: false,
    measured,
    gains: [1, 1, 1],
    reason,
  });
  if (!s.enabled || s.strength === 0) return none('disabled');
  if (a.isGray) return none('grey image');
  if (opened >= 0.995) return none('neutralised by the per-channel levels');
  const neutral = a.cast.neutralRgb;
  const bright = a.cast.bright;
  const n = logChroma(neutral);
  const eNeutral = a.cast.confidence < 0.03 ? 0 : Math.min(1, a.cast.confidence / 0.1);
  const eBright = bright.support > 0 ? clamp((bright.support - 0.5) / 0.3, 0, 1) * locusWeight(bright.uv) : 0;
  let base: number[];
  let evidence: number;
  let measured: number;
  let deadband = castDeadband;
  let cue: string;
  if (
    topWhite >= whiteSeen &&
    eBright > 0 &&
    eNeutral > 0 &&
    Math.hypot(n[0] - bright.uv[0], n[1] - bright.uv[1]) <= cuesAgree
  ) {
    // Both cues' gains, weighted by their evidence (geometric), green kept.
    const wb = eBright / (eBright + eNeutral);
    const bg = greyGains(bright.rgb);
    const mixed = greyGains(neutral).map((g, i) => g ** (1 - wb) * bg[i]! ** wb);
    base = mixed.map((g) => g / mixed[1]!);
    evidence = Math.max(eNeutral, eBright);
    // Both must see the cast: the smaller of the two.
    measured = Math.min(a.cast.magnitude, r3(chromaOf(bright.rgb)));
    // Casts up to 6 delta E are left alone and up to 12 corrected partly: a mild tint of the
    // neutrals is often the scene (warm evening light, a cat's fur), not a fault. Two cues
    // agreeing halve that dead band.
    deadband = castDeadband * 0.75;
    cue = ', bright surfaces agree';
  } else if (eNeutral * locusWeight(n) >= eBright && eNeutral > 0) {
    // The channels' whites (percentiles, clipped channels included) as a moderator: when they
    // point the same way, their gains are mixed in and the dead band halved.
    const wp = whitePatch?.(greyGains(neutral));
    base = wp ?? greyGains(neutral);
    if (wp) deadband = castDeadband / 2;
    evidence = eNeutral * locusWeight(n);
    measured = a.cast.magnitude;
    cue = wp ? ', white patch agrees' : '';
  } else if (eBright > 0) {
    base = greyGains(bright.rgb);
    evidence = eBright;
    measured = r3(chromaOf(bright.rgb));
    cue = ', from the bright surfaces';
  } else {
    base = [1, 1, 1];
    evidence = 0;
    measured = 0;
    cue = '';
  }
  // The white point: where the channels' whites spread apart, near the daylight locus, and
  // pointing the way the other cues do, it measures the channels it sees unclipped (the other
  // cues read the cast short: the densest near-grey is the scene's, often warm, and the
  // brightest unclipped surfaces leave out the whites the cast clipped) and bounds the
  // clipped ones. Without other cues it is used alone, with its own evidence.
  const wp = whites && topWhite >= whiteSeen ? whitePointCue(whites, locusNormal) : undefined;
  const wpEvidence = wp && whiteSpreadOf(wp.whites) >= whiteSpread ? sideWeight(wp.side) : 0;
  if (wp && wpEvidence > 0) {
    const dir = (g: readonly number[]): [number, number] => [
      Math.log(g[0]! / g[1]!),
      Math.log(g[2]! / g[1]!),
    ];
    const cos = cosine(dir(wp.gains), dir(base));
    // Alone, the whites may be a coloured thing (a yellow flower in the sun): the grey-edge
    // illuminant, an independent estimate, must point the same way.
    const edgeCos = a.cast.edge ? cosine(a.cast.edge, wp.uv) : 0;
    if (cos >= 0.5 && (evidence > 0 || edgeCos >= 0.5)) {
      if (evidence === 0) {
        evidence = wpEvidence;
        measured = r3(chromaOf(wp.whites));
        cue = ", from the channels' whites";
      } else {
        // Two independent cues agreeing are the evidence.
        evidence = Math.max(evidence, wpEvidence);
        cue += ", channels' whites agree";
      }
      // As far as the whites are believed (off the locus: partly).
      const refined = refineByWhitePoint(base, wp);
      base = base.map((g, c) => g ** (1 - wpEvidence) * refined[c]! ** wpEvidence);
    }
  }
  if (evidence === 0) return none('too few neutral pixels to judge');
  if (measured <= deadband) return none('no visible cast', measured);
  // Weak evidence weakens the correction: the "neutrals" may be a real colour.
  const amount = clamp(
    s.strength * evidence * clamp((measured - deadband) / deadband, 0, 1) * (1 - opened),
    0,
    1.5,
  );
  const raw = base.map((c) => c ** amount);
  // Blown highlights: a gain below 1 on a channel clipped at 255 tints what was white (a cool
  // cast's blue sky turns yellow). Scaling all gains by k keeps it whiter but brightens the
  // rest; with a share f of pixels blown in that channel, k = g^-f minimises the squared log
  // error (1 - f) ln(k)^2 on the rest plus f ln(g k)^2 on the blown pixels. Green moves by k.
  const k = Math.max(1, ...raw.map((g, c) => (g < 1 ? g ** -(blown?.[c] ?? 0) : 1)));
  const gain = (c: number): number => r3(clamp(c * k, 0.6, 1.6));
  const gains: [number, number, number] = [gain(raw[0]!), gain(raw[1]!), gain(raw[2]!)];
  if (gains.every((g) => g === 1))
    return none('too little evidence (off the daylight locus or few neutrals)', measured);
  return {
    applied: true,
    measured,
    gains,
    reason: `cast of ${measured} delta E${cue}`,
  };
}

/** Spread of the channels' whites (ratio) below which the white patch says "no cast". */
const whiteSpread = 1.1;
const whiteSpreadOf = (whites: readonly number[]): number =>
  Math.max(...whites) / Math.max(1, Math.min(...whites));

/**
 * Percentile white patch: gains from each channel's white (99.9th percentile) that would bring
 * it to the brightest channel's. Used with the neutral estimate's gains only when it points
 * the same way (cosine > 0.5 in log R/G, B/G), as their geometric mean: a clipped channel's
 * white under-reports its cast, where the bright-surface cue (unclipped pixels only) may pick
 * coloured surfaces instead of the clipped whites.
 */
export function whitePatchGains(d: AnalysisDetail): (neutralGains: number[]) => number[] | undefined {
  return (n) => {
    const whites = d.channelHistograms.map((h) => percentile(h, d.pixels, 0.999));
    const top = Math.max(...whites);
    if (top < whiteSeen || top / Math.max(1, Math.min(...whites)) < whiteSpread) return undefined;
    const wp = whites.map((w) => top / Math.max(w, 1));
    const dir = (g: number[]): [number, number] => [Math.log(g[0]! / g[1]!), Math.log(g[2]! / g[1]!)];
    const [a1, b1] = dir(wp);
    const [a2, b2] = dir(n);
    const cos = (a1 * a2 + b1 * b2) / (Math.hypot(a1, b1) * Math.hypot(a2, b2) || 1);
    if (cos < 0.5) return undefined;
    const mixed = wp.map((g, i) => Math.sqrt(g * n[i]!));
    return mixed.map((g) => g / mixed[1]!);
  };
}
