// Per-channel curves: a cast made by per-channel tone curves (each channel x^p_c: black and
// white stay where they were, the mid-tones tint) and its correction, a per-channel exponent
// applied as a 256-entry table. Whites and blacks cannot see such a cast; the mid-tones can: in
// code values a neutral surface at any level x reads ln R = p_r ln x, ln G = p_g ln x, so
// ln(ln R / ln G) is the same constant for every neutral pixel, dark or light — a per-channel
// curve is a pure shift in that "exponent space", as a gain is in log chromaticity. A coloured
// surface's ratio changes with its shading (ln k + ln L over ln k' + ln L), so a scene's own
// colour spreads over levels instead of sitting at one spot in every luminance band. Pure,
// except `curvedVipsFile` (writes the corrected copy of a decode-once .v file).
import { readFile, writeFile } from 'node:fs/promises';
import type { Evidence } from './defect-evidence.js';
import { ramp } from './defect-evidence.js';
import { capHarm } from './harm-cap.js';
import { clamp, r3 } from './plan-numbers.js';
import { protectSkin, type SkinMapping } from './skin-guard.js';

type Pixels = { readonly data: Uint8Array; readonly width: number; readonly height: number };

/** Exponent space: bins of 0.02 over +-0.6 in ln(ln C / ln G). */
const range = 30;
const size = 2 * range + 1;
const bin = 0.02;
/** ln(v / 255) for 8-bit values (only 24..235 are looked up). */
const lnCode = Float64Array.from({ length: 256 }, (_, v) => Math.log(Math.max(v, 1) / 255));

/** The three luminance bands (by green): dark, middle and light mid-tones. */
const bandEdges = [24, 80, 150, 236] as const;

export interface CurveEvidence extends Evidence {
  /** The exponents (R, G, B; G = 1) that make the mid-tone neutrals neutral again. */
  readonly exponents: readonly [number, number, number];
}

/**
 * Evidence of a per-channel-curve cast, read in exponent space on the analysis copy: the densest
 * spot of the mid-tone pixels (every channel in 24..235) away from the origin, believed as far as
 * (1) it is a visible shift (0.06 -> 0.14), (2) it holds in each of the three luminance bands
 * (the same spot within 0.06 in the dark, middle and light mid-tones: a scene's coloured surface
 * changes its spot with its shading), (3) it gathers more of the pixels than the origin does
 * (a scene's own greys sit at the origin) and (4) enough of them (support 4 -> 10 %).
 */
export function curveCastEvidence(copy: Pixels | undefined, isGray: boolean): CurveEvidence {
  const none = (why: string): CurveEvidence => ({ score: 0, why, exponents: [1, 1, 1] });
  if (isGray) return none('grey image');
  if (!copy) return none('no analysis copy');
  const px = copy.data;
  const n = px.length / 3;
  const all = new Uint32Array(size * size);
  const bands = [0, 1, 2].map(() => new Uint32Array(size * size));
  const bandN = [0, 0, 0];
  // Bright near-neutral pixels (green 150..235, the code values within ~8 % of each other):
  // white and light grey surfaces, which a curve leaves nearly neutral in code values but shifts
  // in exponent space exactly as it shifts the mid-tones.
  const whites = new Uint32Array(size * size);
  let whiteN = 0;
  let usable = 0;
  const step = Math.max(1, Math.floor(n / 60000));
  for (let i = 0; i < n; i += step) {
    const r = px[i * 3]!;
    const g = px[i * 3 + 1]!;
    const b = px[i * 3 + 2]!;
    if (r < 24 || g < 24 || b < 24 || r > 235 || g > 235 || b > 235) continue;
    const lg = lnCode[g]!;
    const x = Math.log(lnCode[r]! / lg);
    const y = Math.log(lnCode[b]! / lg);
    const bx = Math.round(x / bin) + range;
    const by = Math.round(y / bin) + range;
    if (bx < 0 || by < 0 || bx >= size || by >= size) continue;
    usable++;
    const cell = by * size + bx;
    all[cell]!++;
    const band = g < bandEdges[1] ? 0 : g < bandEdges[2] ? 1 : 2;
    bands[band]![cell]!++;
    bandN[band]!++;
    if (g >= bandEdges[2] && Math.abs(r - g) <= 0.08 * g && Math.abs(b - g) <= 0.12 * g) {
      whites[cell]!++;
      whiteN++;
    }
  }
  if (usable < 500) return none(`too few mid-tone pixels (${usable})`);
  if (whiteN < usable * 0.01) return none(`too few light near-neutral surfaces (${whiteN} pixels)`);
  // The spot of the light near-neutral surfaces (the prior favours small shifts), then: is it
  // the spot of the same surfaces in shade too (the darker bands), more than the origin is?
  const w = boxShares(whites, whiteN);
  let best = -1;
  let bi = centre;
  for (let i = 0; i < w.length; i++) {
    const sc = w[i]! * prior[i]!;
    if (sc > best) {
      best = sc;
      bi = i;
    }
  }
  const px0 = ((bi % size) - range) * bin;
  const py0 = (Math.floor(bi / size) - range) * bin;
  const shift = Math.hypot(px0, py0);
  const support = w[bi]!;
  const lower = [0, 1].filter((k) => bandN[k]! >= usable * 0.1);
  const shares = lower.map((k) => boxShares(bands[k]!, bandN[k]!));
  const inShade = shares.length === 0 ? 0 : Math.min(...shares.map((b) => b[bi]!));
  const shadeOrigin = shares.length === 0 ? 0 : Math.min(...shares.map((b) => b[centre]!));
  const exponents: [number, number, number] = [r3(Math.exp(-px0)), 1, r3(Math.exp(-py0))];
  const visible = ramp(shift, 0.06, 0.14);
  const concentrated = ramp(support, 0.3, 0.6);
  const shade =
    lower.length === 0 ? 0 : ramp(inShade / Math.max(shadeOrigin, 1e-3), 1.5, 4) * ramp(inShade, 0.01, 0.03);
  const score = r3(clamp(visible * concentrated * shade, 0, 1));
  const parts = `light neutrals at ${r3(px0)}/${r3(py0)} (exponents ${exponents.join('/')}; ${r3(support * 100)} % of ${whiteN}), in shade ${r3(inShade * 100)} % there, ${r3(shadeOrigin * 100)} % at the origin`;
  return {
    score,
    why:
      score === 0
        ? `mid-tone neutrals neutral (${parts})`
        : `mid-tones tinted by per-channel curves (${parts})`,
    exponents: score === 0 ? [1, 1, 1] : exponents,
  };
}

const centre = range * size + range;
/** The prior on small shifts (sigma 0.35) per cell. */
const prior = Float64Array.from({ length: size * size }, (_, i) => {
  const u = ((i % size) - range) * bin;
  const v = (Math.floor(i / size) - range) * bin;
  return Math.exp(-(u * u + v * v) / (2 * 0.35 * 0.35));
});

/** Per cell: the share of the band's pixels within 2 bins. */
function boxShares(h: Uint32Array, total: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let c = 0;
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < size && yy < size) c += h[yy * size + xx]!;
        }
      out[y * size + x] = c / total;
    }
  return out;
}

/** The exponents raised to `t` (0: none, 1: all of it). */
export const curvesAt = (q: readonly number[], t: number): [number, number, number] =>
  [q[0]! ** t, q[1]! ** t, q[2]! ** t] as [number, number, number];

/** One 256-entry table per channel: v -> 255 (v / 255)^q_c. */
export function curveTables(q: readonly number[]): Uint8Array[] {
  return [0, 1, 2].map((c) =>
    Uint8Array.from({ length: 256 }, (_, v) => clamp(Math.round(255 * (v / 255) ** q[c]!), 0, 255)),
  );
}

/** Interleaved 8-bit RGB through the tables (a copy unless `into` is given). */
export function applyCurves(
  px: Uint8Array,
  q: readonly number[],
  into: Uint8Array = new Uint8Array(px.length),
): Uint8Array {
  const [tr, tg, tb] = curveTables(q) as [Uint8Array, Uint8Array, Uint8Array];
  for (let i = 0; i + 2 < px.length; i += 3) {
    into[i] = tr[px[i]!]!;
    into[i + 1] = tg[px[i + 1]!]!;
    into[i + 2] = tb[px[i + 2]!]!;
  }
  return into;
}

/**
 * The decode-once file (libvips `.v`: a 64-byte header, then the pixels, then the metadata as
 * XML) with its pixels through the tables, written to `out`: EXIF, XMP, IPTC and density ride
 * along untouched. Only 8-bit, uncoded, 3-band files (what resized-input.ts writes); anything
 * else is refused rather than guessed.
 */
export async function curvedVipsFile(path: string, q: readonly number[], out: string): Promise<void> {
  const buf = await readFile(path);
  // The magic is written in the writer's byte order (b6 a6 f2 08 first: little-endian).
  const le = buf.readUInt32BE(0) === 0xb6a6f208;
  if (!le && buf.readUInt32BE(0) !== 0x08f2a6b6) throw new Error(`${path}: not a libvips .v file`);
  const int = (o: number): number => (le ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const [w, h, bands, format, coding] = [int(4), int(8), int(12), int(20), int(24)];
  if (bands !== 3 || format !== 0 || coding !== 0)
    throw new Error(`${path}: expected 3 bands of uchar, uncoded (got ${bands}, ${format}, ${coding})`);
  if (buf.length < 64 + w * h * 3) throw new Error(`${path}: shorter than its pixels`);
  const pixels = buf.subarray(64, 64 + w * h * 3);
  applyCurves(pixels, q, pixels);
  await writeFile(out, buf);
}

export interface CurvesPlan {
  readonly applied: boolean;
  /** Exponent per channel applied first, v -> 255 (v / 255)^q (1, 1, 1: none). */
  readonly exponents: [number, number, number];
  readonly reason: string;
}

/**
 * The per-channel curve step: as far as its evidence goes (0.2 -> nothing, 0.7 -> all, times the
 * cast strength), held to what the evidence allows (do no harm) and to what keeps skin skin.
 * `available`: the pipeline can apply it (the decode-once path, which has the pixels).
 */
export function planCurves(
  copy: Pixels | undefined,
  isGray: boolean,
  cast: { readonly enabled: boolean; readonly strength: number },
  available: boolean,
): { plan: CurvesPlan; evidence: CurveEvidence } {
  const evidence = curveCastEvidence(copy, isGray);
  const off = (reason: string): { plan: CurvesPlan; evidence: CurveEvidence } => ({
    plan: { applied: false, exponents: [1, 1, 1], reason },
    evidence,
  });
  const say = `${evidence.why}${evidence.score > 0 ? ` (curve cast evidence ${evidence.score})` : ''}`;
  if (!cast.enabled || cast.strength <= 0) return off('disabled');
  const amount = clamp(ramp(evidence.score, 0.2, 0.7) * cast.strength, 0, 1.5);
  if (amount === 0 || !copy) return off(`left alone: ${say}`);
  if (!available) return off(`left alone: ${say}; not applied: only the decode-once path carries the pixels`);
  const mapping = (t: number): SkinMapping => ({
    gains: [1, 1, 1],
    e: 1,
    scale: 1,
    offsets: [0, 0, 0],
    curves: curvesAt(evidence.exponents, amount * t),
  });
  const cap = capHarm(copy, mapping, evidence.score);
  const guard = protectSkin(copy, (t) => mapping(cap.kept * t));
  const kept = cap.kept * guard.kept;
  const q = curvesAt(evidence.exponents, amount * kept).map(r3) as [number, number, number];
  if (q.every((x) => x === 1)) return off(`left alone: ${say}; do no harm: ${cap.why}`);
  return {
    plan: {
      applied: true,
      exponents: q,
      reason: `acted: ${say}${cap.kept < 1 ? `; do no harm: ${cap.why}` : ''}${guard.kept < 1 ? `; skin guard kept ${r3(guard.kept)} of it (${guard.why})` : ''}`,
    },
    evidence,
  };
}
