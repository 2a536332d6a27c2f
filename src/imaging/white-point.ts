// The white point as a cast cue: each channel's white (99.9th percentile). The brightest things in
// a photo (specular highlights, light sources, paper, clouds) are mostly neutral, so the ratio of
// the channels' whites estimates the cast; a channel whose white is clipped only bounds it.
import { srgbToLinear } from './colour-math.js';

/** What a channel's white-point gain is worth: an estimate, an upper or a lower bound, or nothing. */
export type WhiteBound = 'exact' | 'atMost' | 'atLeast' | 'none';

export interface WhitePointCue {
  /** Each channel's white (8-bit). */
  readonly whites: readonly [number, number, number];
  /** Gains on the code values that make the whites grey, green kept (R, G, B). */
  readonly gains: readonly [number, number, number];
  /**
   * A channel clipped at its white (250 or more) may have been brighter: its gain is then only
   * an upper bound (the cast lowers it at least that much); a clipped green makes the other
   * gains lower bounds; both clipped say nothing.
   */
  readonly bounds: readonly [WhiteBound, WhiteBound, WhiteBound];
  /** [ln R/G, ln B/G] of the whites in linear light, as measured (clipped values as they are). */
  readonly uv: readonly [number, number];
  /**
   * Signed distance of the whites' colour from the daylight locus (see corrections.ts: positive
   * on the magenta side), a clipped coordinate taken where it lies closest (it can only be
   * larger, or smaller, than measured).
   */
  readonly side: number;
}

/**
 * A white at or above this is clipped (as for the bright-surface cue: resampling the analysis
 * copy spreads a clipped area's edge a few levels below 255).
 */
export const whiteClipped = 250;

/**
 * The cue from the channels' whites. `locusNormal` is the normal of the daylight locus in
 * log chromaticity (corrections.ts owns it).
 */
export function whitePointCue(
  whites: readonly number[],
  locusNormal: readonly [number, number],
): WhitePointCue {
  const w = [0, 1, 2].map((c) => Math.max(1, Math.round(whites[c] ?? 255))) as [number, number, number];
  const clipped = w.map((v) => v >= whiteClipped);
  const bound = (c: number): WhiteBound => {
    if (c === 1) return 'exact';
    if (clipped[c] && clipped[1]) return 'none';
    if (clipped[c]) return 'atMost';
    if (clipped[1]) return 'atLeast';
    return 'exact';
  };
  const bounds: [WhiteBound, WhiteBound, WhiteBound] = [bound(0), 'exact', bound(2)];
  const lin = (v: number): number => Math.max(srgbToLinear[Math.min(255, v)]!, 1e-6);
  const uv: [number, number] = [Math.log(lin(w[0]) / lin(w[1])), Math.log(lin(w[2]) / lin(w[1]))];
  // The range the side can take: a coordinate whose own channel clipped can only be larger
  // (atMost gain), one whose green clipped only smaller, one with both clipped anything.
  let lo = 0;
  let hi = 0;
  for (const k of [0, 1]) {
    const c = k === 0 ? 0 : 2;
    const t = uv[k]! * locusNormal[k]!;
    const b = bounds[c];
    lo += b === 'exact' || b === 'atMost' ? t : -Infinity;
    hi += b === 'exact' || b === 'atLeast' ? t : Infinity;
  }
  const side = lo > 0 ? lo : hi < 0 ? hi : 0;
  return {
    whites: w,
    gains: [w[1] / w[0], 1, w[1] / w[2]],
    bounds,
    uv,
    side,
  };
}

/**
 * Gains refined by the white point: a channel the whites measure takes their gain, a clipped
 * one is held within its bound, one they say nothing about keeps `base`. Green stays 1.
 */
export function refineByWhitePoint(base: readonly number[], cue: WhitePointCue): number[] {
  return base.map((g, c) => {
    const wg = cue.gains[c]!;
    switch (cue.bounds[c]!) {
      case 'exact':
        return c === 1 ? g : wg;
      case 'atMost':
        return Math.min(g, wg);
      case 'atLeast':
        return Math.max(g, wg);
      case 'none':
        return g;
    }
  });
}
