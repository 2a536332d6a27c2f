// bench/quality/fast-loop.ts (npm run bench:quality:fast): the tuning loop of issue 16. The
// same photos, classes and seeded strengths as run.ts, but the colour and tone plan is applied
// in JS to the 800 px degraded pixels (gamma, then the per-channel linear step, exactly as the
// pipeline orders them) instead of running the whole sharp pipeline, and the analysis of each
// degraded photo is cached; sharpening, saturation and noise reduction are left out, so its
// figures are a little lower than run.ts's. Tuning half by default: thresholds are chosen here.
//   --seed N       degradations' seed (default 16); --half tuning|check (check: aggregate only)
//   --classes a,b  only these classes (names as printed); --detail  per-photo lines
//   --step K       ΔE on every K-th pixel (default 3)
//   --variants     pristine only, on new views of the tuning photos: each at 400 and 1600 px
//                  and four corner crops (60 % of each side) at 800 px — good photos the
//                  thresholds were not set on, to see what makes a good photo get corrected
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { planCorrections } from '../../src/imaging/corrections.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { cachePath, decodeRgb } from '../common/bench-images.js';
import { mean, num, printTable } from '../common/table.js';
import { applyMaps, classes, drawFor } from './degradations.js';
import { ensurePackages, pristine800, readDevSet, sourceFile, type Half } from './dev-set.js';
import { analysisOf, applyToneMapping, meanDe, reasonOf } from './plan-sim.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seed = Number(arg('--seed') ?? 16);
const half = (arg('--half') ?? 'tuning') as Half;
const only = arg('--classes')?.split(',');
const detail = process.argv.includes('--detail');
const step = Number(arg('--step') ?? 3);
const settings = parsePipelineSettings({ output: { format: 'png' } });

interface Row {
  id: string;
  cls: string;
  params: string;
  input: number;
  out: number;
  im?: number;
  why: string;
}

/** New views of one good photo: other sizes and corner crops, each as 8-bit sRGB RGB. */
async function variantsOf(
  file: string,
): Promise<{ name: string; data: Buffer; width: number; height: number }[]> {
  const base = sharp(file).autoOrient().removeAlpha().toColourspace('srgb');
  const meta = await sharp(await base.clone().png().toBuffer()).metadata();
  const w = meta.width;
  const h = meta.height;
  const out: { name: string; data: Buffer; width: number; height: number }[] = [];
  const push = async (name: string, img: Sharp): Promise<void> => {
    const r = await img.raw().toBuffer({ resolveWithObject: true });
    out.push({ name, data: r.data, width: r.info.width, height: r.info.height });
  };
  for (const size of [400, 1600])
    await push(`${size}px`, base.clone().resize(size, size, { fit: 'inside', withoutEnlargement: true }));
  const cw = Math.round(w * 0.6);
  const ch = Math.round(h * 0.6);
  for (const [name, left, top] of [
    ['top-left', 0, 0],
    ['top-right', w - cw, 0],
    ['bottom-left', 0, h - ch],
    ['bottom-right', w - cw, h - ch],
  ] as const)
    await push(
      name,
      base
        .clone()
        .extract({ left, top, width: cw, height: ch })
        .resize(800, 800, { fit: 'inside', withoutEnlargement: true }),
    );
  return out;
}

/** Pristine only, on the variants of the tuning photos: what a good photo the thresholds never saw gets. */
async function runVariants(photos: ReturnType<typeof readDevSet>): Promise<void> {
  const rows: { id: string; out: number; why: string }[] = [];
  for (const photo of photos) {
    for (const v of await variantsOf(sourceFile(photo))) {
      const tag = `variant.${photo.id.replace(/\//g, '__')}.${v.name}`;
      const { analysis, detail: d } = await analysisOf(tag, v.data, v.width, v.height);
      const long = Math.max(v.width, v.height);
      const plan = planCorrections(analysis, d, settings.enhancement, long, long);
      rows.push({
        id: `${photo.id} ${v.name}`,
        out: meanDe(v.data, applyToneMapping(v.data, plan), step),
        why: reasonOf(plan),
      });
    }
  }
  const outs = rows.map((r) => r.out);
  console.log(
    `pristine variants of the ${half} half: ${rows.length} views, mean CIEDE2000 ${num(mean(outs), 2)}, worst ${num(Math.max(...outs), 2)}, above 1.5: ${outs.filter((x) => x > 1.5).length}, above 0.7: ${outs.filter((x) => x > 0.7).length}`,
  );
  if (detail && half === 'tuning')
    for (const r of [...rows].sort((a, b) => b.out - a.out).filter((r) => r.out > 0.3))
      console.log(`${num(r.out, 2)} ${r.id} ${r.why}`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const all = readDevSet();
  ensurePackages(all);
  const photos = all.filter((p) => p.half === half);
  if (process.argv.includes('--variants')) {
    await runVariants(photos);
    console.log(`${num((performance.now() - t0) / 1000, 1)} s`);
    return;
  }
  const specs = classes.filter((c) => !only || only.includes(c.name));
  const scoreFile = await cachePath('quality16', `scores-seed${seed}.json`);
  const imScores: Record<string, { imagemagick: { de2000: number } }> = existsSync(scoreFile)
    ? (JSON.parse(await readFile(scoreFile, 'utf8')) as Record<string, { imagemagick: { de2000: number } }>)
    : {};
  const rows: Row[] = [];
  for (const photo of photos) {
    const original = await decodeRgb(await pristine800(photo));
    for (const spec of specs) {
      const draw = drawFor(seed, photo.id, spec);
      const degraded =
        spec.name === 'pristine' ? Buffer.from(original.data) : applyMaps(original.data, draw.maps);
      const tag = `${photo.id.replace(/\//g, '__')}.${spec.name.replace(/\W+/g, '-')}.s${seed}`;
      const { analysis, detail: d } = await analysisOf(tag, degraded, original.width, original.height);
      const plan = planCorrections(analysis, d, settings.enhancement, 800, 800);
      const out = applyToneMapping(degraded, plan);
      rows.push({
        id: photo.id,
        cls: spec.name,
        params: draw.params,
        input: meanDe(original.data, degraded, step),
        out: meanDe(original.data, out, step),
        im: imScores[`${photo.id}|${spec.name}`]?.imagemagick.de2000,
        why: reasonOf(plan),
      });
    }
  }
  const table = specs.map((spec) => {
    const xs = rows.filter((r) => r.cls === spec.name);
    const input = mean(xs.map((x) => x.input));
    const out = mean(xs.map((x) => x.out));
    const ims = xs.filter((x) => x.im !== undefined).map((x) => x.im!);
    const worst = xs.reduce((a, b) => (b.out > a.out ? b : a));
    return [
      spec.name,
      num(input, 2),
      ims.length === xs.length ? num(mean(ims), 2) : '-',
      num(out, 2),
      spec.name === 'pristine' ? '-' : `${num((100 * out) / input, 0)} %`,
      half !== 'tuning' ? num(worst.out, 2) : `${num(worst.out, 2)} ${worst.id}`,
      String(xs.filter((x) => x.out > x.input + 0.005).length),
    ];
  });
  printTable(
    `fast loop, ${half} half (${photos.length} photos), seed ${seed}: mean CIEDE2000 (colour/tone plan only, every ${step}th pixel)`,
    ['class', 'input', 'ImageMagick', 'darkroom (sim)', 'ratio', 'worst', 'worse'],
    table,
  );
  if (detail && half === 'tuning')
    for (const r of [...rows].sort((a, b) => b.out - b.input - (a.out - a.input)))
      console.log(`${num(r.out, 2)} (in ${num(r.input, 2)}) ${r.id} ${r.cls} [${r.params}] ${r.why}`);
  console.log(`${num((performance.now() - t0) / 1000, 1)} s`);
}

await main();
