// Digests of what the analysis, the plan and the pipeline produce for real samples (and degraded
// copies of them), so that speed work on the analysis, planning and previews can prove it changed
// no result. `npx tsx test/imaging/speed-analysis-golden.ts --write` (then prettier) stores them in
// fixtures/speed-analysis-golden.json (done once, with the code before the speed work).
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { analyzeLoaded, type AnalysisDetail } from '../../src/imaging/analysis.js';
import { planCorrections } from '../../src/imaging/corrections.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { sample } from './image-fixtures.js';

export const goldenFile = fileURLToPath(new URL('./fixtures/speed-analysis-golden.json', import.meta.url));

const photos = [
  'astronaut.png',
  'chelsea.png',
  'coffee.png',
  'rocket.jpg',
  'motorcycle_left.png',
  'cvo9xd_keong_macan_srgb8.png',
  'tmshre_riaphotographs_srgb8.png',
  'u76c0g_bliznaca_srgb8.png',
];

/** Deterministic grain (a fixed LCG), so a noisy input is the same bytes every run. */
async function grainy(file: string, sigma: number): Promise<Buffer> {
  const { data, info } = await sharp(sample(file))
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < data.length; i++) {
    const n = (next() + next() + next() - 1.5) * 2 * sigma;
    data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + n)));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** The inputs: each sample as it is, and degraded copies that drive the cast, tone and noise paths. */
export async function goldenInputs(): Promise<{ name: string; bytes: Buffer }[]> {
  const inputs: { name: string; bytes: Buffer }[] = [];
  for (const p of photos) inputs.push({ name: p, bytes: await sharp(sample(p)).toBuffer() });
  const png = (s: ReturnType<typeof sharp>): Promise<Buffer> => s.png().toBuffer();
  inputs.push(
    { name: 'coffee warm', bytes: await png(sharp(sample('coffee.png')).linear([1.15, 1, 0.8], [0, 0, 0])) },
    {
      name: 'astronaut cool',
      bytes: await png(sharp(sample('astronaut.png')).linear([0.85, 1, 1.2], [0, 0, 0])),
    },
    { name: 'chelsea dark', bytes: await png(sharp(sample('chelsea.png')).gamma(2.2, 1).linear(0.6, 0)) },
    { name: 'rocket bright', bytes: await png(sharp(sample('rocket.jpg')).linear(1.4, 10)) },
    { name: 'motorcycle faded', bytes: await png(sharp(sample('motorcycle_left.png')).linear(0.6, 60)) },
    { name: 'chelsea grain', bytes: await grainy('chelsea.png', 14) },
    { name: 'coffee blurred', bytes: await png(sharp(sample('coffee.png')).blur(2)) },
  );
  for (const [name, w, h, fill] of synthetic) inputs.push({ name, bytes: await rawPng(w, h, fill) });
  return inputs;
}

/** Edge cases the photos do not reach: flat, tiny, random colours, clipped ramps. */
const synthetic: [string, number, number, (x: number, y: number, c: number, rnd: () => number) => number][] =
  [
    ['black', 64, 48, () => 0],
    ['white', 64, 48, () => 255],
    ['one pixel', 1, 1, (_x, _y, c) => [200, 120, 40][c]!],
    ['3 x 2', 3, 2, (x, y, c) => (x * 70 + y * 50 + c * 30) % 256],
    ['random', 210, 150, (_x, _y, _c, rnd) => Math.floor(rnd() * 256)],
    ['clipped ramps', 256, 90, (x, y, c) => Math.min(255, Math.round(x * (c === y % 3 ? 1.6 : 0.7)))],
    ['grey ramp', 300, 17, (x) => Math.round((x / 299) * 255)],
  ];

async function rawPng(
  w: number,
  h: number,
  fill: (x: number, y: number, c: number, rnd: () => number) => number,
): Promise<Buffer> {
  let seed = 987;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = fill(x, y, c, rnd);
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex').slice(0, 32);

function detailJson(d: AnalysisDetail): string {
  return JSON.stringify({
    luma: Array.from(d.lumaHistogram),
    min: Array.from(d.minChannelHistogram),
    max: Array.from(d.maxChannelHistogram),
    ch: d.channelHistograms.map((h) => Array.from(h)),
    pixels: d.pixels,
    clipped: d.colourClipped === undefined ? null : Array.from(d.colourClipped),
  });
}

const planSettings = {
  defaults: parsePipelineSettings({}),
  strong: parsePipelineSettings({
    enhancement: {
      cast: { strength: 2 },
      exposure: { strength: 2 },
      contrast: { strength: 2 },
      saturation: { strength: 2 },
      sharpen: { strength: 2 },
      noiseReduction: { strength: 2 },
    },
  }),
  gentle: parsePipelineSettings({ enhancement: { cast: { strength: 0.5 }, contrast: { strength: 0.5 } } }),
};

export interface Golden {
  /** The analysis JSON itself (readable when a digest differs). */
  readonly analysis: unknown;
  readonly detail: string;
  readonly copy: string;
  readonly plans: Record<string, string>;
}

/** Analysis, detail, the analysis copy and plans (three settings, two output sizes) of one input. */
export async function goldenOf(bytes: Buffer): Promise<Golden> {
  const loaded = await loadInput(bytes, 100_000_000, 'golden.png');
  const { analysis, detail } = await analyzeLoaded(loaded);
  const plans: Record<string, string> = {};
  const inLong = Math.max(analysis.width, analysis.height);
  for (const [name, s] of Object.entries(planSettings)) {
    for (const out of [2000, 300]) {
      plans[`${name} ${out}`] = sha(
        JSON.stringify(planCorrections(analysis, detail, s.enhancement, out, inLong)),
      );
    }
  }
  return {
    analysis: JSON.parse(JSON.stringify(analysis)) as unknown,
    detail: sha(detailJson(detail)),
    copy: sha(detail.copy?.data ?? ''),
    plans,
  };
}

/** Output bytes, previews and the plan of runPipeline with the default settings (and a decode-once case). */
export async function pipelineGolden(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const settings = parsePipelineSettings({});
  for (const p of ['coffee.png', 'rocket.jpg', 'chelsea.png', 'u76c0g_bliznaca_srgb8.png']) {
    const r = await runPipeline(sample(p), settings, { previews: true });
    out[p] = sha(
      JSON.stringify({
        data: sha(r.data),
        before: sha(r.previews?.before ?? ''),
        after: sha(r.previews?.after ?? ''),
        hb: r.previews?.histogramBefore,
        ha: r.previews?.histogramAfter,
        corrections: r.corrections,
        analysis: r.analysis,
      }),
    );
  }
  // Large enough to decode once (the output is smaller than the input and at least 1,024 px).
  const big = await sharp(sample('coffee.png')).resize(1800).jpeg({ quality: 90 }).toBuffer();
  const r = await runPipeline(big, parsePipelineSettings({ geometry: { width: 1100 } }), {
    fileName: 'big.jpg',
    previews: true,
  });
  out['coffee 1800 -> 1100'] = sha(
    JSON.stringify({
      data: sha(r.data),
      before: sha(r.previews?.before ?? ''),
      c: r.corrections,
      a: r.analysis,
    }),
  );
  return out;
}

export async function computeGolden(): Promise<{
  inputs: Record<string, Golden>;
  pipeline: Record<string, string>;
}> {
  const inputs: Record<string, Golden> = {};
  for (const { name, bytes } of await goldenInputs()) inputs[name] = await goldenOf(bytes);
  return { inputs, pipeline: await pipelineGolden() };
}

if (process.argv.includes('--write')) {
  const golden = await computeGolden();
  await writeFile(goldenFile, JSON.stringify(golden, null, 1) + '\n');
  console.log(`wrote ${goldenFile}`);
}
