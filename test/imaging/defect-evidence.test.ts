// The evidence functions (defect-evidence.ts) on their own: from measured ends and analyses of
// synthetic scenes to "act" or "leave alone", with the reason. Pure; no sharp.
import { describe, expect, it } from 'vitest';
import { analyzePixels } from '../../src/imaging/analysis.js';
import {
  castEvidence,
  dimEvidence,
  endsOf,
  veilEvidence,
  type Ends,
} from '../../src/imaging/defect-evidence.js';

const ends = (black: number, whites: [number, number, number], blacks?: [number, number, number]): Ends => ({
  black,
  white: Math.max(...whites),
  blacks: blacks ?? [black, black, black],
  whites,
  clipped: 0,
});

/**
 * A 120x80 scene of grey steps from near black to near white, a few coloured patches and a
 * smooth gradient, then the per-channel map `f` on 0..1 code values (the degradation).
 */
function scene(f: (x: number, c: number) => number = (x) => x): Uint8Array {
  const w = 120;
  const h = 80;
  const px = new Uint8Array(w * h * 3);
  const colours = [
    [0.8, 0.3, 0.2],
    [0.2, 0.5, 0.25],
    [0.25, 0.35, 0.7],
    [0.7, 0.6, 0.4],
  ];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let rgb: number[];
      if (y < 40) {
        const g = 0.02 + (0.96 * Math.floor(x / 10)) / 11; // 12 grey steps, 0.02..0.98
        rgb = [g, g, g];
      } else if (y < 60) rgb = colours[Math.floor(x / 30)]!;
      else {
        const g = 0.1 + (0.8 * x) / w;
        rgb = [g, g * 0.95, g * 0.9];
      }
      for (let c = 0; c < 3; c++)
        px[(y * w + x) * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, f(rgb[c]!, c))));
    }
  return px;
}

function analyse(px: Uint8Array) {
  return analyzePixels(px, 120, 80, {
    format: 'png',
    width: 120,
    height: 80,
    space: 'srgb',
    isCmyk: false,
    isGray: false,
    hasAlpha: false,
    hasProfile: false,
    orientation: 1,
  });
}

describe('veil evidence', () => {
  it('lifted blacks with the whites at 255 are a hazy scene: left alone, and the reason says so', () => {
    const v = veilEvidence(ends(61, [255, 255, 255]));
    expect(v.score).toBe(0);
    expect(v.why).toContain('hazy scene');
  });

  it('lifted blacks with the range reduced at the top too are a veil', () => {
    expect(veilEvidence(ends(45, [205, 200, 210])).score).toBe(1);
  });

  it('a cast over the veil pushing one channel to 255 still counts (the middle channel is read)', () => {
    expect(veilEvidence(ends(40, [255, 201, 157])).score).toBe(1);
  });

  it('a photo that reaches black has no veil, whatever its whites', () => {
    const v = veilEvidence(ends(4, [180, 180, 180]));
    expect(v.score).toBe(0);
    expect(v.why).toContain('dark enough');
  });
});

describe('dim evidence', () => {
  it('whites far below 255 are a dim photo; whites near 255 are not', () => {
    expect(dimEvidence(ends(2, [150, 150, 150]), 0).score).toBe(1);
    expect(dimEvidence(ends(2, [252, 252, 252]), 0).score).toBe(0);
  });

  it('with a veil, a range reduced at both ends is opened even when the whites are not very low', () => {
    expect(dimEvidence(ends(40, [225, 225, 225]), 1).score).toBeGreaterThan(0.8);
    expect(dimEvidence(ends(40, [225, 225, 225]), 0).score).toBe(0);
  });
});

describe('cast evidence', () => {
  it('a neutral scene has none: whites neutral', () => {
    const { analysis, detail } = analyse(scene());
    const c = castEvidence(analysis, endsOf(detail), [0, 0, 0]);
    expect(c.score).toBe(0);
    expect(c.why).toContain('whites neutral');
  });

  it('a veil with a cast: the blacks tinted like the whites are a cue, and the gains undo the cast', () => {
    const gains = [1.2, 1, 0.82];
    const { analysis, detail } = analyse(scene((x, c) => gains[c]! * (0.65 * x + 0.18)));
    const e = endsOf(detail);
    const veil = veilEvidence(e).score;
    expect(veil).toBe(1);
    const own = e.blacks.map((b) => Math.max(0, b - 2));
    const c = castEvidence(analysis, e, own, 1.3, veil);
    expect(c.why).toMatch(/blacks agree (0\.[89]|1)/);
    expect(c.score).toBeGreaterThan(0.5);
    expect(c.gains[0]).toBeLessThan(0.9);
    expect(c.gains[2]).toBeGreaterThan(1.1);
    // Without the veil the blacks are no cue.
    expect(castEvidence(analysis, e, own, 1.3, 0).why).not.toContain('blacks agree');
  });

  it('whites that stay dim before any stretch (a blue-hour scene) are believed less than bright ones', () => {
    const gains = [0.85, 1, 1.2];
    const bright = analyse(scene((x, c) => gains[c]! * x * 0.95));
    const dim = analyse(scene((x, c) => gains[c]! * x * 0.6));
    const cb = castEvidence(bright.analysis, endsOf(bright.detail), [0, 0, 0], 1);
    const cd = castEvidence(dim.analysis, endsOf(dim.detail), [0, 0, 0], 1.6);
    expect(cb.score).toBeGreaterThan(0.5);
    expect(cd.score).toBeLessThan(cb.score * 0.5);
    expect(cd.why).toContain('before the levels');
  });
});
