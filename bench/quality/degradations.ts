// The known defects bench/quality adds to real photos, each one sharp `linear(a, b)` on the
// 8-bit gamma-encoded sRGB code values v of the pristine photo: v' = a * v + b per channel
// (R, G, B), stored as 8-bit PNG (libvips rounds and clips to 0..255), so nothing else changes.
import type { Sharp } from 'sharp';

export interface Degradation {
  readonly name: string;
  /** Exactly what is done, for the printed table and docs/benchmarks.md. */
  readonly what: string;
  readonly a: readonly [number, number, number];
  readonly b: readonly [number, number, number];
}

const warm = [1.12, 1.0, 0.78] as const;
const flatGain = 0.6;
const flatOffset = 51; // 0.2 * 255: the range becomes 51..204

export const degradations: readonly Degradation[] = [
  {
    name: 'warm cast',
    what: 'R x1.12, G x1.00, B x0.78 (tungsten-like)',
    a: warm,
    b: [0, 0, 0],
  },
  {
    name: 'cool cast',
    what: 'R x0.80, G x0.95, B x1.12 (shade-like)',
    a: [0.8, 0.95, 1.12],
    b: [0, 0, 0],
  },
  {
    name: 'under-exposure',
    what: 'RGB x0.55 (about -1.7 EV: 0.55^2.2 = 0.27 in linear light)',
    a: [0.55, 0.55, 0.55],
    b: [0, 0, 0],
  },
  {
    name: 'over-exposure',
    what: 'RGB x1.35, clipped (about +0.95 EV: 1.35^2.2 = 1.93)',
    a: [1.35, 1.35, 1.35],
    b: [0, 0, 0],
  },
  {
    name: 'flat contrast',
    what: 'RGB x0.6 + 51 (range 0..255 becomes 51..204)',
    a: [flatGain, flatGain, flatGain],
    b: [flatOffset, flatOffset, flatOffset],
  },
  {
    name: 'flat + warm cast',
    what: 'flat contrast, then the warm cast: R x0.672 + 57.1, G x0.6 + 51, B x0.468 + 39.8',
    a: [flatGain * warm[0], flatGain * warm[1], flatGain * warm[2]],
    b: [flatOffset * warm[0], flatOffset * warm[1], flatOffset * warm[2]],
  },
];

export function degrade(img: Sharp, d: Degradation): Sharp {
  return img.linear([...d.a], [...d.b]);
}

/** The exact inverse of the degradation (v = (v' - b) / a): what an oracle knowing the defect would do. */
export function undo(img: Sharp, d: Degradation): Sharp {
  return img.linear(
    d.a.map((a) => 1 / a),
    d.a.map((a, i) => -d.b[i]! / a),
  );
}
