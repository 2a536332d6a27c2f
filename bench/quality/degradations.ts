// The defects bench/quality adds to real photos: each class is a family of per-channel tone
// maps on the 8-bit gamma-encoded sRGB code values (x = v / 255; v' = round(255 * f_c(x)),
// clipped), its strength drawn at random per photo from a seeded generator, so the method
// cannot be tuned to one exact defect. Pure: the same seed, photo and class give the same map.

export interface ClassSpec {
  readonly name: string;
  /** What the class does and the range its strengths are drawn from (printed with the table). */
  readonly what: string;
  /** Per-channel maps on 0..1 for one draw of the random numbers `u()` in [0, 1). */
  readonly draw: (u: () => number) => Draw;
}

export interface Draw {
  /** R, G, B maps on 0..1. */
  readonly maps: readonly [(x: number) => number, (x: number) => number, (x: number) => number];
  /** The strengths drawn, for the per-photo table. */
  readonly params: string;
}

const between = (u: () => number, lo: number, hi: number): number => lo + (hi - lo) * u();
const f2 = (v: number): string => v.toFixed(2);
const same = (f: (x: number) => number): Draw['maps'] => [f, f, f];

/**
 * A cast as an illuminant shift: ln(R/G) = +t, ln(B/G) = -1.2 t (warm for t > 0, cool for
 * t < 0; near the daylight locus) plus a green-magenta tint m on G, as gains on the code values.
 */
function castGains(u: () => number): { g: [number, number, number]; text: string } {
  const t = (u() < 0.5 ? -1 : 1) * between(u, 0.08, 0.22);
  const m = between(u, -0.04, 0.04);
  const g: [number, number, number] = [Math.exp(t), Math.exp(m), Math.exp(-1.2 * t)];
  return { g, text: `gains R ${f2(g[0])} G ${f2(g[1])} B ${f2(g[2])}` };
}

/** A cast as per-channel tone curves (x^gamma_c): the ends stay at 0 and 1, the mid-tones tint. */
function castCurves(u: () => number): { e: [number, number, number]; text: string } {
  const t = (u() < 0.5 ? -1 : 1) * between(u, 0.12, 0.35);
  const m = between(u, -0.06, 0.06);
  // gamma < 1 raises a channel: warm = red raised, blue lowered.
  const e: [number, number, number] = [Math.exp(-t), Math.exp(-m), Math.exp(1.2 * t)];
  return { e, text: `curves R ^${f2(e[0])} G ^${f2(e[1])} B ^${f2(e[2])}` };
}

function veilOf(u: () => number): { a: number; b: number; text: string } {
  const b = between(u, 0.1, 0.25);
  const a = between(u, 0.55, Math.min(0.8, 1 - b));
  return { a, b, text: `veil x*${f2(a)} + ${f2(b)}` };
}

export const classes: readonly ClassSpec[] = [
  {
    name: 'pristine',
    what: 'untouched',
    draw: () => ({ maps: same((x) => x), params: '-' }),
  },
  {
    name: 'under (gain)',
    what: 'RGB x a, a in 0.45..0.75',
    draw: (u) => {
      const a = between(u, 0.45, 0.75);
      return { maps: same((x) => a * x), params: `x${f2(a)}` };
    },
  },
  {
    name: 'over (gain)',
    what: 'RGB x a, a in 1.2..1.5, clipped',
    draw: (u) => {
      const a = between(u, 1.2, 1.5);
      return { maps: same((x) => a * x), params: `x${f2(a)}` };
    },
  },
  {
    name: 'under (curve)',
    what: 'RGB x^g, g in 1.4..2.2 (ends kept, mid-tones darker)',
    draw: (u) => {
      const g = between(u, 1.4, 2.2);
      return { maps: same((x) => x ** g), params: `^${f2(g)}` };
    },
  },
  {
    name: 'over (curve)',
    what: 'RGB x^g, g in 0.45..0.7 (ends kept, mid-tones brighter)',
    draw: (u) => {
      const g = between(u, 0.45, 0.7);
      return { maps: same((x) => x ** g), params: `^${f2(g)}` };
    },
  },
  {
    name: 'cast (gains)',
    what: 'R x e^t, G x e^m, B x e^(-1.2t); |t| in 0.08..0.22 (warm or cool), m in -0.04..0.04',
    draw: (u) => {
      const { g, text } = castGains(u);
      return { maps: [(x) => g[0] * x, (x) => g[1] * x, (x) => g[2] * x], params: text };
    },
  },
  {
    name: 'cast (curves)',
    what: 'R x^e^-t, G x^e^-m, B x^e^(1.2t); |t| in 0.12..0.35 (warm or cool), m in -0.06..0.06',
    draw: (u) => {
      const { e, text } = castCurves(u);
      return { maps: [(x) => x ** e[0], (x) => x ** e[1], (x) => x ** e[2]], params: text };
    },
  },
  {
    name: 'veil',
    what: 'RGB x a + b (offset, reduced range); b in 0.10..0.25, a in 0.55..min(0.8, 1-b)',
    draw: (u) => {
      const v = veilOf(u);
      return { maps: same((x) => v.a * x + v.b), params: v.text };
    },
  },
  {
    name: 'veil + cast',
    what: 'veil, then cast (gains)',
    draw: (u) => {
      const v = veilOf(u);
      const { g, text } = castGains(u);
      const f = (c: number) => (x: number) => g[c]! * (v.a * x + v.b);
      return { maps: [f(0), f(1), f(2)], params: `${v.text}; ${text}` };
    },
  },
  {
    name: 'under (curve) + cast',
    what: 'under (curve), then cast (gains)',
    draw: (u) => {
      const ge = between(u, 1.3, 2.0);
      const { g, text } = castGains(u);
      const f = (c: number) => (x: number) => g[c]! * x ** ge;
      return { maps: [f(0), f(1), f(2)], params: `^${f2(ge)}; ${text}` };
    },
  },
  {
    name: 'over (gain) + cast (curves)',
    what: 'over (gain) a in 1.15..1.4, then cast (curves)',
    draw: (u) => {
      const a = between(u, 1.15, 1.4);
      const { e, text } = castCurves(u);
      const f = (c: number) => (x: number) => Math.min(1, a * x) ** e[c]!;
      return { maps: [f(0), f(1), f(2)], params: `x${f2(a)}; ${text}` };
    },
  },
];

/** mulberry32: a small, well-mixed 32-bit generator (deterministic across platforms). */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The draw of one class for one photo under `seed`. */
export function drawFor(seed: number, photoId: string, spec: ClassSpec): Draw {
  return spec.draw(mulberry32(hash(`${seed}|${photoId}|${spec.name}`)));
}

/** Applies per-channel maps to interleaved 8-bit RGB (a copy), through 256-entry tables. */
export function applyMaps(rgb: Uint8Array, maps: Draw['maps']): Buffer {
  const luts = maps.map((f) =>
    Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round(255 * f(v / 255))))),
  );
  const out = Buffer.alloc(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = luts[0]![rgb[i]!]!;
    out[i + 1] = luts[1]![rgb[i + 1]!]!;
    out[i + 2] = luts[2]![rgb[i + 2]!]!;
  }
  return out;
}
