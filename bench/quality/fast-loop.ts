// bench/quality/fast-loop.ts (npm run bench:quality:fast): the tuning loop of issue 16. The
// same photos, classes and seeded strengths as run.ts, but the colour and tone plan is applied
// in JS to the 800 px degraded pixels (gamma, then the per-channel linear step, exactly as the
// pipeline orders them) instead of running the whole sharp pipeline, and the analysis of each
// degraded photo is cached; sharpening, saturation and noise reduction are left out, so its
// figures are a little lower than run.ts's. Tuning half by default: thresholds are chosen here.
//   --seed N       degradations' seed (default 16); --half tuning|check (check: aggregate only)
//   --classes a,b  only these classes (names as printed); --detail  per-photo lines
//   --step K       ΔE on every K-th pixel (default 3)
//   --im           ImageMagick's score where run.ts's cache has none (made as run.ts makes it)
//   --sheet        write the contact sheet of the ten worst results of the half (original,
//                  degraded, the simulated darkroom output) to .bench-cache/quality16/
//   --variants     pristine only, on new views of the tuning photos: each at 400 and 1600 px
//                  and four corner crops (60 % of each side) at 800 px — good photos the
//                  thresholds were not set on, to see what makes a good photo get corrected
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { planCorrections } from '../../src/imaging/corrections.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { cachePath, decodeRgb } from '../common/bench-images.js';
import { mean, num, printTable } from '../common/table.js';
import { writeContactSheet } from './contact-sheet.js';
import { ensureImageMagick, runConvert } from '../common/imagemagick.js';
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
  // The ten worst so far, with their pixels, for the contact sheet.
  const worst: { row: Row; w: number; h: number; original: Buffer; degraded: Buffer; out: Buffer }[] = [];
  const sheet = process.argv.includes('--sheet');
  const withIm = process.argv.includes('--im');
  if (withIm) ensureImageMagick();
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
      let im = imScores[`${photo.id}|${spec.name}`]?.imagemagick.de2000;
      if (im === undefined && withIm) {
        // Not in run.ts's score cache: ImageMagick's output made as run.ts makes it (same files).
        const dfile =
          spec.name === 'pristine'
            ? await pristine800(photo)
            : await cachePath('quality16', 'degraded', `${tag}.png`);
        if (!existsSync(dfile))
          await sharp(degraded, { raw: { width: original.width, height: original.height, channels: 3 } })
            .png()
            .toFile(dfile);
        const imFile = await cachePath('quality16', 'out', `${tag}.imagemagick.png`);
        if (!existsSync(imFile)) {
          await runConvert([dfile, '-channel', 'RGB', '-auto-level', `${imFile}.tmp.png`]);
          await rename(`${imFile}.tmp.png`, imFile);
        }
        im = meanDe(original.data, (await decodeRgb(imFile)).data, step);
      }
      const row: Row = {
        id: photo.id,
        cls: spec.name,
        params: draw.params,
        input: meanDe(original.data, degraded, step),
        out: meanDe(original.data, out, step),
        im,
        why: reasonOf(plan),
      };
      rows.push(row);
      if (sheet && (worst.length < 10 || row.out > worst[worst.length - 1]!.row.out)) {
        worst.push({ row, w: original.width, h: original.height, original: original.data, degraded, out });
        worst.sort((a, b) => b.row.out - a.row.out);
        worst.length = Math.min(worst.length, 10);
      }
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
  if (sheet) {
    const png = (px: Buffer, w: number, h: number): Promise<Buffer> =>
      sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toBuffer();
    const file = await cachePath('quality16', `worst-${half}-fast-seed${seed}.png`);
    const sheetRows = [];
    for (const x of worst)
      sheetRows.push({
        title: `${x.row.id} — ${x.row.cls} (${x.row.params}): ΔE2000 degraded ${num(x.row.input, 2)}, ImageMagick ${x.row.im === undefined ? '-' : num(x.row.im, 2)}, darkroom (plan) ${num(x.row.out, 2)}`,
        original: await png(x.original, x.w, x.h),
        degraded: await png(x.degraded, x.w, x.h),
        darkroom: await png(x.out, x.w, x.h),
        lines: x.row.why.split('; ').reduce<string[]>((acc, part) => {
          const last = acc[acc.length - 1];
          if (last !== undefined && last.length + part.length < 150) acc[acc.length - 1] = `${last}; ${part}`;
          else acc.push(part);
          return acc;
        }, []),
      });
    await writeContactSheet(
      sheetRows,
      `bench/quality fast loop: the ten worst of the ${half} half (seed ${seed}, plan only)`,
      file,
    );
    console.log(`Contact sheet of the ten worst (${half} half, plan only): ${file}`);
  }
  if (detail && half === 'tuning')
    for (const r of [...rows].sort((a, b) => b.out - b.input - (a.out - a.input)))
      console.log(`${num(r.out, 2)} (in ${num(r.input, 2)}) ${r.id} ${r.cls} [${r.params}] ${r.why}`);
  console.log(`${num((performance.now() - t0) / 1000, 1)} s`);
}

await main();
