// The decisions before the corrections (defect-evidence.ts, colour-tone-plan.ts, skin-guard.ts):
// a scene's own colour or key is not a defect, a real defect is corrected as far as its evidence
// goes, and no correction turns skin grey, green or magenta.
import { beforeAll, describe, expect, it } from 'vitest';
import { rgbToLab } from '../../src/imaging/colour-math.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { isSkinLab, protectSkin } from '../../src/imaging/skin-guard.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { degrade, deltaE, rawRgb, samplePng } from './image-fixtures.js';

const defaults = parsePipelineSettings({});
const png = { outputFormat: 'png' as const };
const faceFixture = new URL('./fixtures/face-messi5.png', import.meta.url).pathname;

/** Mean Lab of a box of an image: [L, a, b, hue in degrees, chroma]. */
async function boxLab(image: Buffer, box: { left: number; top: number; width: number; height: number }) {
  const raw = await rawRgb(await sharp(image).extract(box).png().toBuffer());
  let L = 0;
  let a = 0;
  let b = 0;
  const n = raw.length / 3;
  for (let i = 0; i < raw.length; i += 3) {
    const lab = rgbToLab(raw[i]!, raw[i + 1]!, raw[i + 2]!);
    L += lab[0];
    a += lab[1];
    b += lab[2];
  }
  [L, a, b] = [L / n, a / n, b / n];
  return { L, a, b, hue: (Math.atan2(b, a) * 180) / Math.PI, chroma: Math.hypot(a, b) };
}

const originals = new Map<string, Buffer>();
beforeAll(async () => {
  for (const name of ['coffee.png', 'astronaut.png', 'motorcycle_left.png']) {
    originals.set(name, await samplePng(name, 320));
  }
});
const orig = (name: string): Buffer => originals.get(name)!;

describe('a scene is not a defect', () => {
  it.each(['coffee.png', 'astronaut.png'])(
    '%s, whose whites are neutral, has no cast evidence',
    async (name) => {
      const r = await runPipeline(orig(name), defaults, png);
      expect(r.corrections.decisions?.cast.score).toBe(0);
      expect(r.corrections.cast.applied).toBe(false);
    },
  );

  it.each(['tmshre_riaphotographs_srgb8.png', 'chelsea.png'])(
    'a dominant colour (%s: pink tulips, an orange cat) is not corrected as a cast',
    async (name) => {
      const o = await samplePng(name, 320);
      const r = await runPipeline(o, defaults, png);
      expect(r.corrections.decisions?.cast.score ?? 1).toBeLessThan(0.25);
      expect(await deltaE(o, r.data)).toBeLessThan(1.5);
    },
  );

  it('a low-key photo (a rocket at dusk) keeps its tones, and the report says why', async () => {
    const o = await samplePng('rocket.jpg', 320);
    const r = await runPipeline(o, defaults, png);
    expect(r.corrections.decisions?.dark.score).toBe(0);
    expect(r.corrections.exposure.applied).toBe(false);
    expect(r.corrections.exposure.reason).toContain('left alone');
    expect(await deltaE(o, r.data)).toBeLessThan(1);
  });
});

describe('a real defect is corrected as far as its evidence goes', () => {
  it('a warm cast (per-channel gains) on coffee is found in the whites and removed', async () => {
    const o = orig('coffee.png');
    const warm = await degrade(o, (s) => s.linear([1.12, 1, 0.82], [0, 0, 0]));
    const r = await runPipeline(warm, defaults, png);
    expect(r.corrections.decisions?.cast.score).toBeGreaterThan(0.5);
    expect(r.corrections.cast.applied).toBe(true);
    expect(r.corrections.cast.reason).toContain('acted');
    const [gr, , gb] = r.corrections.cast.gains;
    expect(gr).toBeLessThan(0.97);
    expect(gb).toBeGreaterThan(1.08);
    expect(await deltaE(o, r.data)).toBeLessThan((await deltaE(o, warm)) * 0.5);
  });

  it('a veil (offset and reduced range) is read from the lifted blacks and removed', async () => {
    const o = orig('astronaut.png');
    const veiled = await degrade(o, (s) => s.linear(0.7, 50));
    const r = await runPipeline(veiled, defaults, png);
    expect(r.corrections.decisions?.veil.score).toBeGreaterThan(0.9);
    expect(r.corrections.contrast.applied).toBe(true);
    expect(await deltaE(o, r.data)).toBeLessThan((await deltaE(o, veiled)) * 0.4);
  });

  it('a veil with a cast (blacks and whites tinted alike) loses both its veil and its cast', async () => {
    const o = orig('astronaut.png');
    // One linear step (sharp keeps one): g_c * (0.7 x + 45).
    const g = [1.15, 1, 0.85];
    const input = await degrade(o, (s) =>
      s.linear(
        g.map((x) => 0.7 * x),
        g.map((x) => 45 * x),
      ),
    );
    const r = await runPipeline(input, defaults, png);
    expect(r.corrections.decisions?.veil.score).toBeGreaterThan(0.9);
    expect(r.corrections.cast.applied, r.corrections.cast.reason).toBe(true);
    expect(await deltaE(o, r.data)).toBeLessThan((await deltaE(o, input)) * 0.5);
  });

  it('lifted blacks with the highlights still at 255 (a hazy scene) are left alone, and the report says why', async () => {
    const o = orig('coffee.png');
    const hazy = await degrade(o, (s) => s.linear(0.8, 51));
    const r = await runPipeline(hazy, defaults, png);
    expect(r.corrections.decisions?.veil.score).toBe(0);
    expect(r.corrections.contrast.reason).toContain('hazy scene');
    expect(await deltaE(hazy, r.data)).toBeLessThan(1);
  });

  it('an under-exposure by a gain is read from the whites stopping short and opened', async () => {
    const o = orig('motorcycle_left.png');
    const dim = await degrade(o, (s) => s.linear(0.55, 0));
    const r = await runPipeline(dim, defaults, png);
    expect(r.corrections.decisions?.dim.score).toBeGreaterThan(0.5);
    expect(await deltaE(o, r.data)).toBeLessThan((await deltaE(o, dim)) * 0.4);
  });
});

describe('skin stays skin', () => {
  it('the guard holds back a mapping that would turn skin green, and keeps one that does not', () => {
    const skin = [224, 172, 140];
    const data = new Uint8Array(30 * 30 * 3).map((_, i) => skin[i % 3]!);
    const copy = { data, width: 30, height: 30 };
    const mapping = (gains: number[]) => (t: number) => ({
      gains: gains.map((g) => g ** t),
      e: 1,
      scale: 1,
      offsets: [0, 0, 0],
    });
    expect(isSkinLab(...rgbToLab(224, 172, 140))).toBe(true);
    expect(protectSkin(copy, mapping([1.02, 1, 0.98])).kept).toBe(1);
    const held = protectSkin(copy, mapping([0.7, 1, 0.75]));
    expect(held.kept).toBeLessThan(1);
    const t = held.kept;
    const after = [224 * 0.7 ** t, 172, 140 * 0.75 ** t].map(Math.round) as [number, number, number];
    const [, a, b] = rgbToLab(...after);
    const hue = (Math.atan2(b, a) * 180) / Math.PI;
    expect(hue).toBeGreaterThanOrEqual(20);
    expect(hue).toBeLessThanOrEqual(75);
  });

  // The astronaut's face (samples/astronaut.png at 320 px) and a footballer's face cut from the
  // development set (opencv-doc's messi5.jpg, fixtures/face-messi5.png).
  const faces = [
    {
      name: 'astronaut',
      load: () => orig('astronaut.png'),
      box: { left: 115, top: 50, width: 60, height: 65 },
    },
    {
      name: 'footballer',
      load: () => sharp(faceFixture).png().toBuffer(),
      box: { left: 35, top: 42, width: 24, height: 28 },
    },
  ];
  it.each(faces)(
    'the $name face stays skin: pristine, and when a warm or cool cast is corrected it ends no further from its own colour',
    async (f) => {
      const o = await f.load();
      const before = await boxLab(o, f.box);
      expect(isSkinLab(before.L, before.a, before.b)).toBe(true);
      const pristine = await runPipeline(o, defaults, png);
      const kept = await boxLab(pristine.data, f.box);
      expect(isSkinLab(kept.L, kept.a, kept.b)).toBe(true);
      for (const gains of [
        [1.12, 1, 0.82],
        [0.85, 0.98, 1.15],
      ]) {
        const input = await degrade(o, (s) => s.linear(gains, [0, 0, 0]));
        const r = await runPipeline(input, defaults, png);
        const face = await boxLab(r.data, f.box);
        const given = await boxLab(input, f.box);
        const away = (x: { a: number; b: number }): number => Math.hypot(x.a - before.a, x.b - before.b);
        const seen = `gains ${gains.join('/')}: ${r.corrections.cast.reason}`;
        expect(away(face), seen).toBeLessThanOrEqual(away(given) + 0.5);
        // A face the cast left within skin tones is still skin after the correction.
        if (isSkinLab(given.L, given.a, given.b)) expect(isSkinLab(face.L, face.a, face.b), seen).toBe(true);
      }
    },
  );
});
