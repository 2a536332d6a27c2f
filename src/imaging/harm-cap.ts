// Do no harm: how far a colour and tone correction may move a photo, by how sure the evidence
// is. A correction made on weak evidence is the likeliest to be applied to a good photo, so its
// predicted change (mean CIE76 delta E of the analysis copy before and after the planned
// mapping) is capped; only strong evidence may move a photo far. Pure.
import { rgbToLab } from './colour-math.js';
import { applyMapping, type SkinMapping } from './skin-guard.js';
import { r3 } from './plan-numbers.js';

/** Mean CIE76 delta E a mapping makes on (a sample of) the analysis copy. */
export function predictedChange(
  copy: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  m: SkinMapping,
  samples = 6000,
): number {
  const px = copy.data;
  const n = px.length / 3;
  const step = Math.max(1, Math.floor(n / samples));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i += step) {
    const r = px[i * 3]!;
    const g = px[i * 3 + 1]!;
    const b = px[i * 3 + 2]!;
    const p = rgbToLab(r, g, b);
    const q = rgbToLab(applyMapping(r, 0, m), applyMapping(g, 1, m), applyMapping(b, 2, m));
    sum += Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    count++;
  }
  return sum / Math.max(1, count);
}

/** The change (mean CIE76) any evidence may make: about 1.5 CIEDE2000, invisible side by side. */
export const weakChange = 2;
/** Evidence below this is weak: a good photo's own statistics often give that much. */
export const strongFrom = 0.5;

/**
 * The largest predicted change allowed for a correction whose evidence scores `confidence`
 * (0..1): `weakChange` up to `strongFrom`, then rising with the square of the excess to 40 at
 * full confidence (an under-exposure by half a stop and more moves a photo 20–30).
 */
export function allowedChange(confidence: number): number {
  const x = Math.max(0, (confidence - strongFrom) / (1 - strongFrom));
  return weakChange + 38 * Math.min(1, x) ** 2;
}

export interface HarmCap {
  /** Share of the planned correction kept, 0..1 (1: not capped). */
  readonly kept: number;
  /** Predicted change of the whole planned correction and what was allowed (mean CIE76). */
  readonly predicted: number;
  readonly allowed: number;
  readonly why: string;
}

/**
 * The share f of the correction to keep so that the predicted change of `mappingAt(f)` stays
 * within what `confidence` allows (bisection; the change grows with f).
 */
export function capHarm(
  copy: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  mappingAt: (f: number) => SkinMapping,
  confidence: number,
): HarmCap {
  const allowed = allowedChange(confidence);
  const predicted = predictedChange(copy, mappingAt(1));
  const say = (kept: number): string =>
    kept >= 1
      ? `predicted change ${r3(predicted)} within ${r3(allowed)} allowed at evidence ${r3(confidence)}`
      : `predicted change ${r3(predicted)} above ${r3(allowed)} allowed at evidence ${r3(confidence)}: ${r3(kept)} of it kept`;
  if (predicted <= allowed) return { kept: 1, predicted: r3(predicted), allowed: r3(allowed), why: say(1) };
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 12; k++) {
    const mid = (lo + hi) / 2;
    if (predictedChange(copy, mappingAt(mid), 2000) <= allowed) lo = mid;
    else hi = mid;
  }
  return { kept: r3(lo), predicted: r3(predicted), allowed: r3(allowed), why: say(lo) };
}
