// Colour difference for the benches: 8-bit sRGB -> CIE L*a*b* (D65), and the CIE76 and
// CIEDE2000 delta E between two same-size interleaved RGB buffers. Pure functions.

export interface Lab {
  readonly L: number;
  readonly a: number;
  readonly b: number;
}

/** sRGB transfer function inverted, per 8-bit code value (IEC 61966-2-1). */
const linearOf8Bit: Float64Array = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

// D65 reference white (2 degree observer), the white of sRGB.
const Xn = 0.95047;
const Yn = 1.0;
const Zn = 1.08883;
const epsilon = 216 / 24389;
const kappa = 24389 / 27;

function f(t: number): number {
  return t > epsilon ? Math.cbrt(t) : (kappa * t + 16) / 116;
}

/** L*a*b* (D65) of one 8-bit sRGB colour; r, g, b are 0..255 integers. */
export function srgbToLab(r: number, g: number, b: number): Lab {
  const R = linearOf8Bit[r]!;
  const G = linearOf8Bit[g]!;
  const B = linearOf8Bit[b]!;
  const X = 0.4124564 * R + 0.3575761 * G + 0.1804375 * B;
  const Y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const Z = 0.0193339 * R + 0.119192 * G + 0.9503041 * B;
  const fx = f(X / Xn);
  const fy = f(Y / Yn);
  const fz = f(Z / Zn);
  return { L: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/** CIE76: Euclidean distance in L*a*b*. */
export function deltaE76(p: Lab, q: Lab): number {
  return Math.hypot(p.L - q.L, p.a - q.a, p.b - q.b);
}

const deg = Math.PI / 180;
const pow25to7 = 25 ** 7;

/** CIEDE2000 with kL = kC = kH = 1 (Sharma, Wu, Dalal 2005). */
export function deltaE2000(p: Lab, q: Lab): number {
  const C1 = Math.hypot(p.a, p.b);
  const C2 = Math.hypot(q.a, q.b);
  const Cbar7 = ((C1 + C2) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(Cbar7 / (Cbar7 + pow25to7)));
  const a1 = (1 + G) * p.a;
  const a2 = (1 + G) * q.a;
  const C1p = Math.hypot(a1, p.b);
  const C2p = Math.hypot(a2, q.b);
  const h1 = hueAngle(a1, p.b);
  const h2 = hueAngle(a2, q.b);
  const chromaProduct = C1p * C2p;

  const dL = q.L - p.L;
  const dC = C2p - C1p;
  let dh = 0;
  if (chromaProduct !== 0) {
    dh = h2 - h1;
    if (dh > Math.PI) dh -= 2 * Math.PI;
    else if (dh < -Math.PI) dh += 2 * Math.PI;
  }
  const dH = 2 * Math.sqrt(chromaProduct) * Math.sin(dh / 2);

  const Lbar = (p.L + q.L) / 2;
  const Cbarp = (C1p + C2p) / 2;
  let hbar = h1 + h2;
  if (chromaProduct !== 0) {
    if (Math.abs(h1 - h2) <= Math.PI) hbar = (h1 + h2) / 2;
    else hbar = h1 + h2 < 2 * Math.PI ? (h1 + h2 + 2 * Math.PI) / 2 : (h1 + h2 - 2 * Math.PI) / 2;
  }
  const T =
    1 -
    0.17 * Math.cos(hbar - 30 * deg) +
    0.24 * Math.cos(2 * hbar) +
    0.32 * Math.cos(3 * hbar + 6 * deg) -
    0.2 * Math.cos(4 * hbar - 63 * deg);
  const dTheta = 30 * deg * Math.exp(-(((hbar / deg - 275) / 25) ** 2));
  const Cbarp7 = Cbarp ** 7;
  const Rc = 2 * Math.sqrt(Cbarp7 / (Cbarp7 + pow25to7));
  const Lm = (Lbar - 50) ** 2;
  const Sl = 1 + (0.015 * Lm) / Math.sqrt(20 + Lm);
  const Sc = 1 + 0.045 * Cbarp;
  const Sh = 1 + 0.015 * Cbarp * T;
  const Rt = -Math.sin(2 * dTheta) * Rc;
  const l = dL / Sl;
  const c = dC / Sc;
  const h = dH / Sh;
  return Math.sqrt(l * l + c * c + h * h + Rt * c * h);
}

function hueAngle(a: number, b: number): number {
  if (a === 0 && b === 0) return 0;
  const h = Math.atan2(b, a);
  return h < 0 ? h + 2 * Math.PI : h;
}

export interface MeanDeltaE {
  readonly de76: number;
  readonly de2000: number;
  readonly pixels: number;
}

/**
 * Mean delta E over all pixels of two interleaved 8-bit RGB buffers of the same size
 * (`channels` 3 or 4; a fourth channel is ignored). Equal colours are memoised, so large
 * flat areas cost little (the memo is bounded).
 */
export function meanDeltaE(reference: Uint8Array, other: Uint8Array, channels = 3): MeanDeltaE {
  if (reference.length !== other.length) {
    throw new Error(`meanDeltaE: buffers differ in size (${reference.length} vs ${other.length} bytes)`);
  }
  if (reference.length % channels !== 0 || channels < 3) {
    throw new Error(
      `meanDeltaE: ${reference.length} bytes is not a whole number of ${channels}-channel pixels`,
    );
  }
  const labCache = new Map<number, Lab>();
  const lab = (buf: Uint8Array, i: number): Lab => {
    const key = (buf[i]! << 16) | (buf[i + 1]! << 8) | buf[i + 2]!;
    let v = labCache.get(key);
    if (v === undefined) {
      if (labCache.size > 500_000) labCache.clear();
      v = srgbToLab(buf[i]!, buf[i + 1]!, buf[i + 2]!);
      labCache.set(key, v);
    }
    return v;
  };
  let sum76 = 0;
  let sum2000 = 0;
  const pixels = reference.length / channels;
  for (let i = 0; i < reference.length; i += channels) {
    if (reference[i] === other[i] && reference[i + 1] === other[i + 1] && reference[i + 2] === other[i + 2])
      continue;
    const p = lab(reference, i);
    const q = lab(other, i);
    sum76 += deltaE76(p, q);
    sum2000 += deltaE2000(p, q);
  }
  return { de76: pixels === 0 ? 0 : sum76 / pixels, de2000: pixels === 0 ? 0 : sum2000 / pixels, pixels };
}
