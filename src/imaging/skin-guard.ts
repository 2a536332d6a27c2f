// The skin guard: a colour correction must not turn skin grey, green or magenta. Skin is found
// on the analysis copy by its colour (CIELAB hue 25..65 degrees, chroma 12..45, L* 30..90: human
// skin tones under daylight lie there, with wood, sand and fur); the planned mapping is applied to those pixels,
// and where it moves them out of skin tones, less of the correction is kept. Pure.
import { rgbToLab } from './colour-math.js';
import { clamp } from './plan-numbers.js';

export interface SkinMapping {
  /** Per-channel gains raised to `e`, then `scale`, then offsets (8-bit), as applyCorrections does. */
  readonly gains: readonly number[];
  readonly e: number;
  readonly scale: number;
  readonly offsets: readonly number[];
  /** Per-channel exponents applied first (channel-curves.ts), v -> 255 (v / 255)^q. */
  readonly curves?: readonly number[];
}

const deg = 180 / Math.PI;

/** Whether a Lab colour is a skin tone. */
export function isSkinLab(L: number, a: number, b: number): boolean {
  const c = Math.hypot(a, b);
  const h = Math.atan2(b, a) * deg;
  return L >= 30 && L <= 90 && c >= 12 && c <= 45 && h >= 25 && h <= 65;
}

/** Skin needs at least this share of the sampled pixels to be protected (a face in a portrait or group). */
const minSkinShare = 0.01;

/**
 * Colours that may be skin under a cast: the skin range widened by the largest cast corrected
 * (a face under a cool cast drifts toward pink and grey, under a warm one toward orange).
 */
function maybeSkin(L: number, a: number, b: number): boolean {
  const c = Math.hypot(a, b);
  const h = Math.atan2(b, a) * deg;
  return L >= 25 && L <= 92 && c >= 4 && c <= 55 && h >= -15 && h <= 90;
}

/** One 8-bit code value of channel `c` through the mapping (as the pipeline applies it). */
export function applyMapping(v: number, c: number, m: SkinMapping): number {
  const u = m.curves ? (v / 255) ** m.curves[c]! : v / 255;
  const x = m.scale * m.gains[c]! ** m.e * u ** m.e * 255 + m.offsets[c]!;
  return clamp(Math.round(x), 0, 255);
}

/** Hue (degrees) and chroma of the mean a*, b* of the pixels `idx` under mapping `m` (identity when undefined). */
function meanHue(px: Uint8Array, idx: readonly number[], m?: SkinMapping): { hue: number; chroma: number } {
  let sa = 0;
  let sb = 0;
  for (const i of idx) {
    const [r, g, b] = m
      ? [
          applyMapping(px[i * 3]!, 0, m),
          applyMapping(px[i * 3 + 1]!, 1, m),
          applyMapping(px[i * 3 + 2]!, 2, m),
        ]
      : [px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!];
    const lab = rgbToLab(r, g, b);
    sa += lab[1];
    sb += lab[2];
  }
  return { hue: Math.atan2(sb, sa) * deg, chroma: Math.hypot(sa, sb) / Math.max(1, idx.length) };
}

/** Skin's hue range (degrees) and the least chroma a face keeps. */
const skinHue = [20, 75] as const;
const skinCentre = 47;
const minChroma = 6;

/**
 * How much of the cast correction to keep (t in 0..1, the gains raised to t) so that the colours
 * that may be skin end, on average, with a skin hue (20..75 degrees) and chroma above 6 (not
 * grey, green or magenta) — or at least no further from skin than they started (a correction
 * never takes a face away from skin). `mappingAt(t)` is the whole mapping with the correction
 * raised to t.
 */
export function protectSkin(
  copy: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  mappingAt: (t: number) => SkinMapping,
): { kept: number; why: string } {
  const px = copy.data;
  const skin: number[] = [];
  const n = px.length / 3;
  const step = Math.max(1, Math.floor(n / 20000));
  let sampled = 0;
  for (let i = 0; i < n; i += step) {
    sampled++;
    const [L, a, b] = rgbToLab(px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!);
    if (maybeSkin(L, a, b)) skin.push(i);
  }
  if (skin.length < minSkinShare * sampled) return { kept: 1, why: 'no skin tones to protect' };
  const before = meanHue(px, skin);
  const off = (h: number): number => Math.max(0, skinHue[0] - h, h - skinHue[1]);
  const ok = (t: number): boolean => {
    const after = meanHue(px, skin, mappingAt(t));
    const hueOk =
      off(after.hue) === 0 || Math.abs(after.hue - skinCentre) <= Math.abs(before.hue - skinCentre);
    const chromaOk = after.chroma >= minChroma || after.chroma >= before.chroma;
    return hueOk && chromaOk;
  };
  if (ok(1)) return { kept: 1, why: 'skin stays skin' };
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 12; k++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return {
    kept: lo,
    why: `the colours that may be skin (${Math.round((100 * skin.length) / sampled)} % of the photo) would leave skin tones`,
  };
}
