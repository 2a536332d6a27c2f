// bench/quality (npm run bench:quality): how well darkroom's default enhancement repairs known
// defects added to real photos, as the mean colour difference (CIEDE2000, and CIE76) to the
// untouched original — next to the degraded input itself and ImageMagick's per-channel auto-level.
// Goals (issue 3): darkroom beats ImageMagick on every class, at least halves the degraded
// input's delta E, and leaves a pristine photo within a mean delta E of 2.
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { cachePath, decodeRgb, pristinePng, samplePhotos, type Rgb } from '../common/bench-images.js';
import { meanDeltaE, type MeanDeltaE } from '../common/colour-difference.js';
import { ensureImageMagick, runConvert } from '../common/imagemagick.js';
import { markdownTable, mean, num, passFail, printTable } from '../common/table.js';
import { degradations, degrade, undo, type Degradation } from './degradations.js';

/** The default enhancement; PNG out so no lossy encoding adds to the measured difference. */
const settings = parsePipelineSettings({ output: { format: 'png' } });
const detail = process.argv.includes('--detail');
const pristineGoal = 2;

interface Scores {
  readonly degraded: MeanDeltaE;
  /** The exact inverse of the known degradation applied to the degraded input: the best a global correction can do. */
  readonly oracle: MeanDeltaE;
  readonly darkroom: MeanDeltaE;
  readonly imagemagick: MeanDeltaE;
}

async function compare(original: Rgb, file: string): Promise<MeanDeltaE> {
  const other = await decodeRgb(file, { width: original.width, height: original.height });
  return meanDeltaE(original.data, other.data);
}

async function throughDarkroom(input: string, out: string): Promise<string> {
  const r = await runPipeline(input, settings);
  await writeFile(out, r.data);
  return out;
}

async function throughImageMagick(input: string, out: string): Promise<string> {
  await runConvert([input, '-channel', 'RGB', '-auto-level', out]);
  return out;
}

async function scoreOne(
  original: Rgb,
  input: string,
  stem: string,
  d: Degradation | undefined,
): Promise<Scores> {
  const dr = await throughDarkroom(input, await cachePath('quality', 'out', `${stem}.darkroom.png`));
  const im = await throughImageMagick(input, await cachePath('quality', 'out', `${stem}.imagemagick.png`));
  const oracle = await cachePath('quality', 'out', `${stem}.oracle.png`);
  await (d ? undo(sharp(input), d) : sharp(input)).png().toFile(oracle);
  return {
    degraded: await compare(original, input),
    oracle: await compare(original, oracle),
    darkroom: await compare(original, dr),
    imagemagick: await compare(original, im),
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const imVersion = ensureImageMagick();
  const photos = await samplePhotos();
  console.log(`bench/quality: ${photos.length} photos x (pristine + ${degradations.length} degradations)`);
  console.log(`ImageMagick: ${imVersion}; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
  console.log(
    'darkroom: runPipeline with the default settings, PNG out; ImageMagick: convert in.png -channel RGB -auto-level out.png',
  );
  console.log(
    'metric: mean CIEDE2000 (and CIE76) over all pixels, 8-bit sRGB -> CIE L*a*b* D65, against the pristine photo',
  );

  const byClass = new Map<string, Scores[]>();
  const perPhoto: (string | number)[][] = [];
  for (const photo of photos) {
    const stem = basename(photo).replace(/\.[^.]+$/, '');
    const pristine = await pristinePng(photo);
    const original = await decodeRgb(pristine);
    const classes: { name: string; file: string; d?: Degradation }[] = [{ name: 'pristine', file: pristine }];
    for (const d of degradations) {
      const file = await cachePath('quality', 'degraded', `${stem}.${d.name.replace(/\W+/g, '-')}.png`);
      await degrade(sharp(pristine), d).png().toFile(file);
      classes.push({ name: d.name, file, d });
    }
    for (const c of classes) {
      const s = await scoreOne(original, c.file, `${stem}.${c.name.replace(/\W+/g, '-')}`, c.d);
      byClass.set(c.name, [...(byClass.get(c.name) ?? []), s]);
      perPhoto.push([
        stem,
        c.name,
        s.degraded.de2000,
        s.darkroom.de2000,
        s.imagemagick.de2000,
        s.oracle.de2000,
      ]);
    }
  }

  const avg = (xs: readonly Scores[], k: keyof Scores, m: keyof Omit<MeanDeltaE, 'pixels'>): number =>
    mean(xs.map((x) => x[k][m]));
  let allPass = true;
  for (const metric of ['de2000', 'de76'] as const) {
    const rows: (string | number)[][] = [];
    for (const [name, xs] of byClass) {
      const input = avg(xs, 'degraded', metric);
      const dr = avg(xs, 'darkroom', metric);
      const im = avg(xs, 'imagemagick', metric);
      const oracle = avg(xs, 'oracle', metric);
      if (name === 'pristine') {
        const ok = dr <= pristineGoal;
        if (metric === 'de2000') allPass &&= ok;
        rows.push([
          name,
          num(input, 2),
          num(dr, 2),
          num(im, 2),
          '-',
          '-',
          `darkroom <= ${pristineGoal}: ${passFail(ok)}`,
        ]);
        continue;
      }
      const beats = dr < im;
      const halves = dr <= input / 2;
      if (metric === 'de2000') allPass &&= beats && halves;
      rows.push([
        name,
        num(input, 2),
        num(dr, 2),
        num(im, 2),
        num(oracle, 2),
        num(dr / input, 2),
        `beats IM: ${passFail(beats)}; halves input: ${passFail(halves)}`,
      ]);
    }
    printTable(
      `Mean ${metric === 'de2000' ? 'CIEDE2000' : 'CIE76'} delta E to the untouched original (mean over ${photos.length} photos)`,
      ['class', 'degraded input', 'darkroom', 'ImageMagick', 'oracle', 'darkroom / input', 'goals'],
      rows,
    );
  }
  if (detail) {
    printTable(
      'Per photo (CIEDE2000)',
      ['photo', 'class', 'degraded input', 'darkroom', 'ImageMagick', 'oracle'],
      perPhoto,
    );
  }
  console.log("Degradations (sharp linear on 8-bit sRGB code values, v' = a*v + b):");
  console.log(
    markdownTable(
      ['class', 'what'],
      degradations.map((d) => [d.name, d.what]),
    ),
  );
  console.log(
    `\nAll goals (CIEDE2000): ${allPass ? 'met' : 'NOT met'}. ${num((performance.now() - t0) / 1000, 1)} s.`,
  );
  console.log(`Outputs kept in ${join('.bench-cache', 'quality')} for inspection.`);
}

await main();
