// The benches' colour maths: sRGB -> L*a*b* (D65) reference values, CIEDE2000 against
// Sharma, Wu and Dalal's published test pairs, and the mean over RGB buffers.
import { describe, expect, it } from 'vitest';
import { deltaE2000, deltaE76, meanDeltaE, srgbToLab } from '../../bench/common/colour-difference.js';

describe('srgbToLab', () => {
  it('maps white, black and the sRGB primaries to their published L*a*b* values', () => {
    const cases: [number, number, number, number, number, number][] = [
      [255, 255, 255, 100, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [255, 0, 0, 53.24, 80.09, 67.2],
      [0, 255, 0, 87.73, -86.18, 83.18],
      [0, 0, 255, 32.3, 79.19, -107.86],
      [128, 128, 128, 53.59, 0, 0],
    ];
    for (const [r, g, b, L, a, bb] of cases) {
      const lab = srgbToLab(r, g, b);
      expect(lab.L).toBeCloseTo(L, 1);
      expect(lab.a).toBeCloseTo(a, 1);
      expect(lab.b).toBeCloseTo(bb, 1);
    }
  });
});

describe('deltaE2000', () => {
  it("matches Sharma, Wu and Dalal's test pairs to 4 decimals", () => {
    const pairs: [number, number, number, number, number, number, number][] = [
      [50, 2.6772, -79.7751, 50, 0, -82.7485, 2.0425],
      [50, 3.1571, -77.2803, 50, 0, -82.7485, 2.8615],
      [50, 2.8361, -74.02, 50, 0, -82.7485, 3.4412],
      [50, 0, 0, 50, -1, 2, 2.3669],
      [50, 2.5, 0, 73, 25, -18, 27.1492],
      [50, 2.5, 0, 61, -5, 29, 22.8977],
      [50, 2.5, 0, 56, -27, -3, 31.903],
      [50, 2.5, 0, 58, 24, 15, 19.4535],
      [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
      [22.7233, 20.0904, -46.694, 23.0331, 14.973, -42.5619, 2.0373],
    ];
    for (const [L1, a1, b1, L2, a2, b2, expected] of pairs) {
      const p = { L: L1, a: a1, b: b1 };
      const q = { L: L2, a: a2, b: b2 };
      expect(deltaE2000(p, q)).toBeCloseTo(expected, 4);
      expect(deltaE2000(q, p)).toBeCloseTo(expected, 4);
    }
  });

  it('is zero for equal colours and CIE76 is the Euclidean distance', () => {
    const p = srgbToLab(200, 120, 40);
    expect(deltaE2000(p, p)).toBe(0);
    expect(deltaE76({ L: 50, a: 3, b: 0 }, { L: 50, a: 0, b: 4 })).toBeCloseTo(5, 10);
  });
});

describe('meanDeltaE', () => {
  it('averages over every pixel, counting equal pixels as zero, and ignores a fourth channel', () => {
    const ref = Uint8Array.from([10, 20, 30, 255, 200, 100, 50, 255]);
    const other = Uint8Array.from([10, 20, 30, 0, 190, 110, 50, 7]);
    const one = deltaE2000(srgbToLab(200, 100, 50), srgbToLab(190, 110, 50));
    const m = meanDeltaE(ref, other, 4);
    expect(m.pixels).toBe(2);
    expect(m.de2000).toBeCloseTo(one / 2, 10);
    expect(m.de76).toBeGreaterThan(m.de2000);
  });

  it('refuses buffers of different sizes', () => {
    expect(() => meanDeltaE(new Uint8Array(6), new Uint8Array(3))).toThrow(/differ in size/);
  });
});
