// Colour arithmetic on 8-bit sRGB pixels: linearisation, CIE L*a*b* (D65), delta E.
// Pure functions; used by the analysis and by tests and benches measuring corrections.

/** sRGB 8-bit value -> linear light 0..1. */
export const srgbToLinear: Float64Array = (() => {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const v = i / 255;
    t[i] = v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }
  return t;
})();

/** Linear light 0..1 -> sRGB 8-bit value (unrounded, 0..255). */
export function linearToSrgb(v: number): number {
  const c = Math.min(1, Math.max(0, v));
  return 255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
}

const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);

/** 8-bit sRGB -> [L*, a*, b*] (D65 reference white). */
export function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const R = srgbToLinear[r]!;
  const G = srgbToLinear[g]!;
  const B = srgbToLinear[b]!;
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/**
 * CIE C*ab of an 8-bit sRGB pixel: the same arithmetic as `rgbToLab` (so the same value to the
 * last bit) without building the array, for per-pixel loops.
 */
export function abChroma(r: number, g: number, b: number): number {
  const R = srgbToLinear[r]!;
  const G = srgbToLinear[g]!;
  const B = srgbToLinear[b]!;
  const fx = f((0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047);
  const fy = f(0.2126729 * R + 0.7151522 * G + 0.072175 * B);
  const fz = f((0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883);
  const a = 500 * (fx - fy);
  const bb = 200 * (fy - fz);
  return Math.sqrt(a * a + bb * bb);
}

/** Gamma-encoded luma (Rec. 709 weights) of an 8-bit pixel, 0..255. */
export const luma = (r: number, g: number, b: number): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/**
 * Mean CIE76 delta E between two interleaved 8-bit RGB(A) buffers of equal size.
 * `channels` is the stride (3 or 4; alpha is ignored).
 */
export function meanDeltaE(a: Uint8Array, b: Uint8Array, channels = 3): number {
  if (a.length !== b.length) throw new RangeError(`buffers differ in size: ${a.length} vs ${b.length}`);
  let sum = 0;
  let n = 0;
  for (let i = 0; i + 2 < a.length; i += channels) {
    const p = rgbToLab(a[i]!, a[i + 1]!, a[i + 2]!);
    const q = rgbToLab(b[i]!, b[i + 1]!, b[i + 2]!);
    const dl = p[0] - q[0];
    const da = p[1] - q[1];
    const db = p[2] - q[2];
    sum += Math.sqrt(dl * dl + da * da + db * db);
    n++;
  }
  return n === 0 ? 0 : sum / n;
}
