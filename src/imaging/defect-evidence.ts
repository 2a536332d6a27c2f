// Is the photo degraded, and how sure are we? Pure functions from the analysis to a score 0..1 per
// defect (veil, dim, dark, bright, lost highlights, cast) with the reason, so that each correction
// acts only on evidence of a defect and as far as that evidence goes (a scene's own colour, a
// high-key or low-key subject, a sunset are not defects). The model's assumptions are in
// docs/imaging.md (Decisions).
import { percentile, type Analysis, type AnalysisDetail } from './analysis.js';
import { srgbToLinear } from './colour-math.js';
import { clamp, r3 } from './plan-numbers.js';

export interface Evidence {
  /** 0: no sign of the defect, 1: sure; corrections scale by it. */
  readonly score: number;
  readonly why: string;
}

/** 0 at `from`, 1 at `to` (either direction), linear between. */
export const ramp = (v: number, from: number, to: number): number => clamp((v - from) / (to - from), 0, 1);

/** The ends of the tonal range and of each channel (8-bit). */
export interface Ends {
  /** The darkest channel's 0.2nd percentile: where the darkest colours of the photo are. */
  readonly black: number;
  /** The brightest channel's 99.8th percentile. */
  readonly white: number;
  /** Each channel's 0.2nd and 99.9th percentiles (R, G, B). */
  readonly blacks: readonly [number, number, number];
  readonly whites: readonly [number, number, number];
  /** Share of pixels with some channel at 255. */
  readonly clipped: number;
}

export function endsOf(d: AnalysisDetail): Ends {
  const ch = d.channelHistograms;
  const three = (q: number): [number, number, number] =>
    [0, 1, 2].map((c) => percentile(ch[c]!, d.pixels, q)) as [number, number, number];
  return {
    black: percentile(d.minChannelHistogram, d.pixels, 0.002),
    white: percentile(d.maxChannelHistogram, d.pixels, 0.998),
    blacks: three(0.002),
    whites: three(0.999),
    clipped: d.maxChannelHistogram[255]! / Math.max(1, d.pixels),
  };
}

/**
 * A veil (haze, a flat scan, an offset): nothing in the photo is dark and nothing is fully
 * bright. In photos of real scenes some colour reaches near black in at least one channel (a
 * shadow, a saturated colour's darkest channel), so a darkest channel that starts far above 0
 * is read as a veil, but only as far as the top of the range is reduced too: a veil (x·a + b)
 * lowers the white with the black lifted, while a hazy scene (an aerial view, fog) keeps its
 * highlights at 255 with lifted shadows, and stretching it would change a good photo a lot.
 */
export function veilEvidence(e: Ends): Evidence {
  const lifted = ramp(e.black, 16, 32);
  // The middle channel's white: a cast over the veil may push one channel's white to 255.
  const top = [...e.whites].sort((x, y) => x - y)[1]!;
  const topReduced = ramp(top, 253, 238);
  const score = r3(lifted * topReduced);
  return {
    score,
    why:
      lifted === 0
        ? `darkest colours reach ${e.black} (dark enough)`
        : score === 0
          ? `nothing darker than ${e.black} of 255, but highlights reach ${top} (a hazy scene, not a veil)`
          : `nothing darker than ${e.black} and nothing brighter than ${top} of 255 (lifted blacks, reduced range)`,
  };
}

/**
 * Dim (under-exposed by a gain): nothing in the photo is bright. Something reaches near white in
 * nearly every photo (a highlight, a light, a sky); a brightest channel that stops far below 255
 * means the whole range was scaled down. `veil` widens it: a veiled photo's range is reduced at
 * both ends.
 */
export function dimEvidence(e: Ends, veil: number): Evidence {
  const dim = ramp(e.white, 200, 165);
  const reduced = veil * ramp(e.white, 250, 220);
  const score = r3(Math.max(dim, reduced));
  return {
    score,
    why:
      score === 0
        ? `highlights reach ${e.white}`
        : `brightest colours stop at ${e.white} of 255${reduced > dim ? ' (range reduced with the blacks)' : ''}`,
  };
}

/**
 * Dark or bright mid-tones with a full range (an exposure made by a tone curve, or a wrong
 * exposure the camera's curve bent): the mean luminance after the levels far from the middle.
 * Low-key and high-key scenes have such means too: the score rises only from 0.21 (dark) and
 * 0.62 (bright), and a low-key scene whose dark part is a large, nearly black area (a night
 * sky, a black background) counts as the scene.
 */
export function darkEvidence(mean: number, nearBlackShare: number): Evidence {
  const score = r3(ramp(mean, 0.21, 0.12) * (1 - ramp(nearBlackShare, 0.35, 0.6)));
  return {
    score,
    why:
      score === 0
        ? `mean luminance ${r3(mean)}${nearBlackShare >= 0.35 ? `, ${r3(nearBlackShare * 100)} % near black (low key)` : ''}`
        : `mean luminance ${r3(mean)}: dark mid-tones`,
  };
}

export function brightEvidence(mean: number, shadowsP5: number): Evidence {
  // A bright scene keeps dark accents (a high-key photo still has its darkest 5 % well below
  // the middle); mid-tones pushed up by a curve lift the shadows with them.
  const score = r3(ramp(mean, 0.6, 0.72) * ramp(shadowsP5, 0.12, 0.3));
  return {
    score,
    why:
      score === 0
        ? `mean luminance ${r3(mean)}, darkest 5 % at ${r3(shadowsP5)}`
        : `mean luminance ${r3(mean)}, shadows lifted to ${r3(shadowsP5)}: bright mid-tones`,
  };
}

/**
 * Lost highlights (over-exposed by a gain): saturated colours that lost a channel to clipping
 * (a channel at 255, another below 220; 2 -> 8 % of the pixels), with a bright mean. A blown white sky or a specular
 * clips every channel and is not counted: a photo of a bright day may have it.
 */
export function clippedEvidence(d: AnalysisDetail, mean: number): Evidence {
  let lost = 0;
  const h = d.colourClipped;
  if (h) for (let i = 0; i < h.length; i++) lost += h[i]!;
  const share = lost / Math.max(1, d.pixels);
  // Or a large blown area in a photo bright throughout (a blown sky in a well-exposed photo
  // leaves the mean near the middle). Weaker alone (at most 0.75): a crop of a bright sky has it.
  const blown =
    0.75 * ramp(d.maxChannelHistogram[255]! / Math.max(1, d.pixels), 0.05, 0.15) * ramp(mean, 0.55, 0.7);
  // Good photos of saturated, bright things (orange leaves, red toys, yellow sunlight) lose up
  // to ~5 % of their pixels' colour to clipping; a gain of 1.2-1.5 costs far more (5-50 %).
  const score = r3(Math.max(ramp(share, 0.02, 0.08) * ramp(mean, 0.42, 0.52), blown));
  return {
    score,
    why: `${r3(share * 100)} % of pixels lost a colour to clipping, mean luminance ${r3(mean)}`,
  };
}

const lin = (v: number): number => Math.max(srgbToLinear[clamp(Math.round(v), 0, 255)]!, 1e-4);
/** [ln R/G, ln B/G] of linear light. */
export function logChroma(rgb: readonly number[]): [number, number] {
  return [Math.log(lin(rgb[0]!) / lin(rgb[1]!)), Math.log(lin(rgb[2]!) / lin(rgb[1]!))];
}

function cosine(p: readonly number[], q: readonly number[]): number {
  const n = Math.hypot(p[0]!, p[1]!) * Math.hypot(q[0]!, q[1]!);
  return n === 0 ? 0 : (p[0]! * q[0]! + p[1]! * q[1]!) / n;
}

/** Distance from the daylight locus in log chromaticity (positive: magenta side); see cast-correction.ts. */
const locusNormal = [0.85, 0.53] as const;

export interface CastEvidence extends Evidence {
  /** Gains on the code values (after the black of each channel is removed) that make the whites grey, green kept. */
  readonly gains: readonly [number, number, number];
}

/**
 * A cast, read from the whites: the brightest things in a photo (paper, speculars, clouds,
 * lights) are mostly neutral, so channels whose whites (above each channel's black) differ
 * mean a cast, a gain per channel that keeps its black. Believed as far as (1) something is
 * bright, (2) the whites' tint lies near the daylight locus and is a plausible light (at most
 * ~2x between red and blue: a sunset sky or a red apple is stronger), (3) two
 * of three independent cues point the same way: the densest near-grey colour (neutral
 * estimate), the brightest unclipped surfaces and the grey-edge illuminant. A scene whose whites are neutral has no cast, however coloured the rest.
 */
export function castEvidence(
  a: Analysis,
  e: Ends,
  blackRemoved: readonly number[],
  /** The levels' stretch: whether something is bright is judged after it (a veiled photo's whites are grey). */
  stretch = 1,
  /** The veil evidence (0..1): the blacks' tint is a cue only in a veiled photo. */
  veil = 0,
): CastEvidence {
  const span = e.whites.map((w, c) => Math.max(1, w - blackRemoved[c]!));
  const top = Math.min(255, Math.max(...span) * stretch);
  // A channel at 250 or more is clipped: its white may have been higher. Then its gain comes
  // from the other channel along the daylight locus (a light's tint is warm-cool, not green).
  const clipped = e.whites.map((w) => w >= 250);
  const uvw = logChroma(span);
  let gR = span[1]! / span[0]!;
  let gB = span[1]! / span[2]!;
  if (clipped[1] && clipped[0] && !clipped[2]) gR = gB ** -0.62;
  else if (clipped[1] && clipped[2] && !clipped[0]) gB = gR ** -1.6;
  else if (clipped[0] && clipped[1] && clipped[2]) {
    gR = 1;
    gB = 1;
  }
  const gains: [number, number, number] = [gR, 1, gB];
  const tint = Math.hypot(Math.log(gR), Math.log(gB));
  const none = (why: string): CastEvidence => ({ score: 0, why, gains: [1, 1, 1] });
  if (a.isGray) return none('grey image');
  if (top < 200) return none(`nothing bright (whites ${e.whites.join('/')})`);
  if (tint < 0.06) return none(`whites neutral (${e.whites.join('/')})`);
  const uv: [number, number] = [Math.log(1 / gR), Math.log(1 / gB)];
  const side = uv[0] * locusNormal[0] + uv[1] * locusNormal[1];
  const onLocus = 1 - ramp(Math.abs(side), side > 0 ? 0.1 : 0.15, side > 0 ? 0.22 : 0.3);
  const plausible = 1 - ramp(Math.abs(Math.log(gR / gB)), 0.6, 0.8);
  const neutral = logChroma(a.cast.neutralRgb);
  const agreeNeutral = a.cast.confidence >= 0.02 ? ramp(cosine(neutral, uvw), 0.4, 0.8) : 0;
  const agreeEdge = a.cast.edge ? ramp(cosine(a.cast.edge, uvw), 0.3, 0.7) : 0;
  // The brightest unclipped surfaces (a white cup under the cast) stand in for the neutral
  // estimate when that is a coloured surface (a brown table).
  const agreeBright =
    a.cast.bright.support >= 0.5
      ? ramp(cosine(a.cast.bright.uv, uvw), 0.4, 0.8) * ramp(a.cast.bright.support, 0.5, 0.8)
      : 0;
  // A veil with a cast (g_c · (a·x + b)): the lifted blacks carry the same per-channel gains as
  // the whites, so the two ends of the range tinted alike are two readings of one cast. Real
  // shadows are near neutral; a hazy scene's lifted blacks are tinted by the haze, not like
  // its whites.
  const liftedBlacks = veil * ramp(Math.min(...e.blacks), 12, 24);
  const codeRatio = (v: readonly number[]): [number, number] => [
    Math.log(Math.max(1, v[0]!) / Math.max(1, v[1]!)),
    Math.log(Math.max(1, v[2]!) / Math.max(1, v[1]!)),
  ];
  const ub = codeRatio(e.blacks);
  const uw = codeRatio(e.whites.map((w) => Math.min(w, 249)));
  const sizeRatio = Math.hypot(...ub) / Math.max(1e-6, Math.hypot(...uw));
  const agreeBlacks =
    liftedBlacks *
    ramp(cosine(ub, uw), 0.75, 0.92) *
    (1 - ramp(Math.abs(Math.log(Math.max(1e-6, sizeRatio))), 0.5, 1));
  // Two of the three independent cues must point the way the whites do.
  // Or one surface colour fills the bright pixels (support above 0.9: a white object under the
  // cast) and agrees: that and the whites are then two readings of one white thing.
  const oneWhite = agreeBright * ramp(a.cast.bright.support, 0.88, 0.95) * 0.8;
  const agree = Math.max(
    agreeNeutral * agreeEdge,
    agreeBright * agreeEdge,
    agreeNeutral * agreeBright,
    oneWhite,
    agreeBlacks * 0.9,
  );
  const visible = ramp(tint, 0.06, 0.14);
  // The brightest things of a dim scene (blue hour, an interior without lights) are less
  // likely to be white: without a veil to explain the reduced range, whites that stay below
  // 230 before any stretch are believed less (a blue-hour sky is not a cast).
  const rawTop = Math.max(...e.whites);
  const bright = ramp(top, 200, 235) * Math.max(veil, ramp(rawTop, 170, 230));
  const score = r3(onLocus * plausible * agree * visible * bright);
  const parts = [
    `whites ${e.whites.join('/')}`,
    `locus ${r3(onLocus)}`,
    `plausible ${r3(plausible)}`,
    `neutral agrees ${r3(agreeNeutral)}`,
    `bright surfaces agree ${r3(agreeBright)}`,
    `grey edge agrees ${r3(agreeEdge)}`,
    ...(liftedBlacks > 0 ? [`blacks agree ${r3(agreeBlacks)}`] : []),
    ...(rawTop < 230 && veil < 1 ? [`whites only ${rawTop} before the levels`] : []),
  ].join(', ');
  return { score, why: score === 0 ? `no cast evidence (${parts})` : `cast in the whites (${parts})`, gains };
}
