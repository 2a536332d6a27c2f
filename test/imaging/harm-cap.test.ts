// Do no harm (harm-cap.ts and its use in colour-tone-plan.ts): a correction on weak evidence
// may move a photo only a little, strong evidence may move it far, and the plan says which
// share it kept and why. Lost highlights need more clipped colour than good photos of bright,
// saturated things have. Pure; no sharp.
import { describe, expect, it } from 'vitest';
import { analyzePixels, type AnalysisDetail } from '../../src/imaging/analysis.js';
import { planColourTone } from '../../src/imaging/colour-tone-plan.js';
import { clippedEvidence } from '../../src/imaging/defect-evidence.js';
import {
  allowedChange,
  capHarm,
  predictedChange,
  strongFrom,
  weakChange,
} from '../../src/imaging/harm-cap.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';

const identity = { gains: [1, 1, 1], e: 1, scale: 1, offsets: [0, 0, 0] };

/** A 100x60 copy: a luminance ramp over a few colours (the analysis copy of a photo). */
function copy(f: (v: number) => number = (v) => v) {
  const w = 100;
  const h = 60;
  const data = new Uint8Array(w * h * 3);
  const tints = [
    [1, 1, 1],
    [1, 0.7, 0.5],
    [0.5, 0.8, 0.6],
  ];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const t = tints[Math.floor(y / 20)]!;
      for (let c = 0; c < 3; c++)
        data[(y * w + x) * 3 + c] = Math.round(f(Math.min(255, 10 + (235 * x) / w) * t[c]!));
    }
  return { data, width: w, height: h };
}

describe('allowedChange', () => {
  it('allows only an invisible change on weak evidence and a large one on strong evidence', () => {
    expect(allowedChange(0)).toBe(weakChange);
    expect(allowedChange(strongFrom)).toBe(weakChange);
    expect(allowedChange(0.75)).toBeGreaterThan(weakChange);
    expect(allowedChange(0.75)).toBeLessThan(allowedChange(0.9));
    expect(allowedChange(1)).toBeGreaterThanOrEqual(30);
  });
});

describe('capHarm', () => {
  const brighten = (f: number) => ({ gains: [1, 1, 1], e: 1, scale: 1 + 0.8 * f, offsets: [0, 0, 0] });

  it('measures no change for the identity and a large one for a strong gain', () => {
    expect(predictedChange(copy(), identity)).toBe(0);
    expect(predictedChange(copy(), brighten(1))).toBeGreaterThan(10);
  });

  it('keeps a share of a large correction on weak evidence, within what is allowed, and says so', () => {
    const cap = capHarm(copy(), brighten, 0.3);
    expect(cap.kept).toBeGreaterThan(0);
    expect(cap.kept).toBeLessThan(0.5);
    expect(predictedChange(copy(), brighten(cap.kept))).toBeLessThanOrEqual(weakChange + 0.05);
    expect(cap.why).toContain('kept');
  });

  it('keeps the whole correction on strong evidence', () => {
    const cap = capHarm(copy(), brighten, 1);
    expect(cap.kept).toBe(1);
    expect(cap.why).toContain('within');
  });
});

/** The detail of a bright photo of which `share` of the pixels lost a colour to clipping. */
function clippedDetail(share: number): AnalysisDetail {
  const pixels = 10000;
  const colourClipped = new Float64Array(8 * 3 * 256);
  colourClipped[(1 * 3 + 2) * 256 + 120] = share * pixels; // red clipped, blue darkest at 120
  const maxChannelHistogram = new Float64Array(256);
  maxChannelHistogram[255] = share * pixels;
  maxChannelHistogram[180] = pixels - share * pixels;
  const flat = new Float64Array(256);
  return {
    lumaHistogram: flat,
    minChannelHistogram: flat,
    maxChannelHistogram,
    channelHistograms: [flat, flat, flat],
    pixels,
    colourClipped,
  };
}

describe('lost highlights evidence', () => {
  it('a good photo of bright saturated things (4 % lost a colour) is weak evidence', () => {
    expect(clippedEvidence(clippedDetail(0.04), 0.5).score).toBeLessThan(strongFrom);
  });

  it('an over-exposure that clipped a fifth of the photo is strong evidence', () => {
    expect(clippedEvidence(clippedDetail(0.2), 0.55).score).toBe(1);
  });
});

describe('planColourTone under the harm cap', () => {
  const s = parsePipelineSettings({}).enhancement;
  const analyse = (px: Uint8Array, w: number, h: number) => {
    const r = analyzePixels(px, w, h, {
      format: 'png',
      width: w,
      height: h,
      space: 'srgb',
      isCmyk: false,
      isGray: false,
      hasAlpha: false,
      hasProfile: false,
      orientation: 1,
    });
    return { ...r, detail: { ...r.detail, copy: { data: Buffer.from(px), width: w, height: h } } };
  };

  it('a photo dimmed by half is strongly evident and opened in full', () => {
    const c = copy((v) => v * 0.5);
    const { analysis, detail } = analyse(c.data, c.width, c.height);
    const plan = planColourTone(analysis, detail, s);
    expect(plan.decisions.dim.score).toBe(1);
    expect(plan.decisions.harm?.kept).toBe(1);
    expect(plan.contrast.scale).toBeGreaterThan(1.8);
  });

  it('a photo whose whites stop a little short (weak dim evidence) is barely changed, and the report says why', () => {
    const c = copy((v) => v * 0.76);
    const { analysis, detail } = analyse(c.data, c.width, c.height);
    const plan = planColourTone(analysis, detail, s);
    expect(plan.decisions.dim.score).toBeGreaterThan(0);
    expect(plan.decisions.dim.score).toBeLessThan(strongFrom);
    expect(plan.decisions.harm?.kept).toBeLessThan(1);
    expect(plan.contrast.reason).toContain('do no harm');
    const m = {
      gains: [1, 1, 1],
      e: plan.exposure.exponent,
      scale: plan.contrast.scale,
      offsets: plan.contrast.offsets,
    };
    expect(predictedChange(c, m)).toBeLessThanOrEqual(weakChange + 0.1);
  });
});
