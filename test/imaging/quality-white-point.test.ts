// The white-point cast cue (each channel's white, a clipped channel only a bound): it finds a
// cast no other cue sees, corrects the channels the other cues read short, and leaves pristine
// photos alone.
import { describe, expect, it } from 'vitest';
import { analyzeLoaded } from '../../src/imaging/analysis.js';
import { planCast, whitePatchGains } from '../../src/imaging/cast-correction.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { refineByWhitePoint, whitePointCue } from '../../src/imaging/white-point.js';
import { degrade, deltaE, samplePng } from './image-fixtures.js';

const defaults = parsePipelineSettings({});
const png = { outputFormat: 'png' as const };
const locusNormal = [0.85, 0.53] as const;
/** A shade-like cool cast on the 8-bit code values, as bench/quality adds it. */
const cool = (s: ReturnType<typeof sharp>): ReturnType<typeof sharp> =>
  s.linear([0.8, 0.95, 1.12], [0, 0, 0]);

describe('white point of the channels', () => {
  it('measures channels whose white is not clipped and only bounds a clipped one', () => {
    const c = whitePointCue([204, 242, 255], locusNormal);
    expect(c.bounds).toEqual(['exact', 'exact', 'atMost']);
    expect(c.gains[0]).toBeCloseTo(242 / 204, 6);
    // A clipped blue may have been brighter: its gain is at most 242/255, never raised to it.
    expect(refineByWhitePoint([1.1, 1, 0.85], c)).toEqual([242 / 204, 1, 0.85]);
    expect(refineByWhitePoint([1.1, 1, 1], c)).toEqual([242 / 204, 1, 242 / 255]);
  });

  it('a clipped green makes the other gains lower bounds; red and green clipped say nothing about red', () => {
    const c = whitePointCue([255, 255, 198], locusNormal);
    expect(c.bounds).toEqual(['none', 'exact', 'atLeast']);
    expect(refineByWhitePoint([0.87, 1, 1.2], c)).toEqual([0.87, 1, 255 / 198]);
    expect(refineByWhitePoint([0.87, 1, 1.4], c)).toEqual([0.87, 1, 1.4]);
    // The unknown red can put the whites on the daylight locus: no evidence against them.
    expect(c.side).toBe(0);
  });

  it('pink whites (tulips, nothing clipped) lie far on the magenta side of the daylight locus', () => {
    expect(whitePointCue([251, 211, 221], locusNormal).side).toBeGreaterThan(0.2);
  });
});

describe('grey-edge illuminant (the check on the white point alone)', () => {
  it('moves with a cool cast: red down, blue up', async () => {
    const o = await samplePng('rocket.jpg', 512);
    const before = (await analyzeLoaded(await loadInput(o, 1e9))).analysis.cast.edge!;
    const after = (await analyzeLoaded(await loadInput(await degrade(o, cool), 1e9))).analysis.cast.edge!;
    expect(after[0] - before[0]).toBeLessThan(-0.2);
    expect(after[1] - before[1]).toBeGreaterThan(0.2);
  });
});

describe('a cool cast on real photos', () => {
  it('on a dusk scene without neutral surfaces (rocket) is found by the channels whites and mostly removed', async () => {
    const o = await samplePng('rocket.jpg', 512);
    const cast = await degrade(o, cool);
    const r = await runPipeline(cast, defaults, png);
    expect(r.corrections.cast.applied).toBe(true);
    expect(r.corrections.cast.reason).toContain("channels' whites");
    const [gr, gg, gb] = r.corrections.cast.gains;
    expect(gg).toBe(1);
    expect(gr).toBeGreaterThan(1.08);
    expect(gb).toBeLessThan(0.97);
    expect(await deltaE(o, r.data)).toBeLessThan((await deltaE(o, cast)) * 0.75);
  });

  it('on astronaut, the whites correct the red the other cues read short: closer to the original than without them', async () => {
    const o = await samplePng('astronaut.png', 512);
    const cast = await degrade(o, cool);
    const { analysis: a, detail: d } = await analyzeLoaded(await loadInput(cast, 1e9));
    const whites = d.channelHistograms.map((h) => {
      let acc = 0;
      for (let v = 0; v < 256; v++) if ((acc += h[v]!) >= d.pixels * 0.999) return v;
      return 255;
    });
    const top = Math.max(...whites);
    const without = planCast(a, defaults.enhancement.cast, 0, top, whitePatchGains(d));
    const withWhites = planCast(a, defaults.enhancement.cast, 0, top, whitePatchGains(d), whites);
    expect(withWhites.reason).toContain("channels' whites agree");
    expect(withWhites.gains[0]).toBeGreaterThan(without.gains[0]);
    const corrected = (g: readonly number[]): Promise<Buffer> =>
      sharp(cast)
        .linear([...g], [0, 0, 0])
        .png()
        .toBuffer();
    const e0 = await deltaE(o, await corrected(without.gains));
    const e1 = await deltaE(o, await corrected(withWhites.gains));
    expect(e1).toBeLessThan(e0 * 0.85);
  });

  it('over a blown white sky (cvo9xd) the gains rise together, keeping the sky nearer white than green kept at 1', async () => {
    const o = await samplePng('cvo9xd_keong_macan_srgb8.png', 512);
    const cast = await degrade(o, cool);
    const r = await runPipeline(cast, defaults, png);
    const g = r.corrections.cast.gains;
    expect(g[1]).toBeGreaterThan(1.03);
    expect(g[2]).toBeLessThan(0.95);
    const corrected = (gains: readonly number[]): Promise<Buffer> =>
      sharp(cast)
        .linear([...gains], [0, 0, 0])
        .png()
        .toBuffer();
    const greenKept = await deltaE(o, await corrected(g.map((x) => x / g[1])));
    expect(await deltaE(o, await corrected(g))).toBeLessThan(greenKept * 0.9);
  });

  it.each(['rocket.jpg', 'astronaut.png', 'cvo9xd_keong_macan_srgb8.png'])(
    'pristine %s gets no cast correction and stays put',
    async (name) => {
      const o = await samplePng(name, 512);
      const r = await runPipeline(o, defaults, png);
      expect(r.corrections.cast.applied).toBe(false);
      expect(await deltaE(o, r.data)).toBeLessThan(1);
    },
  );
});
