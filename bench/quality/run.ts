// bench/quality (npm run bench:quality): how well darkroom's default enhancement leaves good
// photos alone and repairs common defects on photos it was not tuned on (issue 16). The
// development set (dev-set.json: Debian packages + samples/, 800 px) is split into a tuning half
// and a check half; each photo gets every degradation class (degradations.ts) at a strength
// drawn from a seeded generator. Scores: mean CIEDE2000 (and CIE76) to the untouched photo, for
// the degraded input itself, ImageMagick's per-channel auto-level and darkroom; goals on the check half.
//   --seed N    the degradations' seed (default 16)
//   --half H    tuning | check | check2, or several joined by commas, or all (default all)
//   --detail    per-photo table of the tuning half (the check halves are read in aggregate only)
//   --warm      only make the degraded copies and the input and ImageMagick scores (the cache),
//               print nothing about them: the run that reports then only runs darkroom
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import type { Corrections } from '../../src/imaging/corrections.js';
import { cachePath, decodeRgb } from '../common/bench-images.js';
import { meanDeltaE, type MeanDeltaE } from '../common/colour-difference.js';
import { ensureImageMagick, runConvert } from '../common/imagemagick.js';
import { markdownTable, mean, num, passFail, printTable } from '../common/table.js';
import { writeContactSheet, type SheetRow } from './contact-sheet.js';
import { applyMaps, classes, drawFor } from './degradations.js';
import {
  benchLongSide,
  ensurePackages,
  pristine800,
  halves,
  readDevSet,
  type DevPhoto,
  type Half,
} from './dev-set.js';

const settings = parsePipelineSettings({ output: { format: 'png' } });
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seed = Number(arg('--seed') ?? 16);
const halfArg = arg('--half') ?? 'all';
const wanted: readonly Half[] =
  halfArg === 'all' || halfArg === 'both' ? halves : (halfArg.split(',') as Half[]);
for (const h of wanted)
  if (!halves.includes(h)) throw new Error(`--half: ${h} is not one of ${halves.join(', ')}`);
const warm = process.argv.includes('--warm');
const detail = process.argv.includes('--detail');

const goals = { pristineMean: 0.7, pristineMax: 1.5, ratio: 0.4 };

interface Result {
  readonly photo: DevPhoto;
  readonly cls: string;
  readonly params: string;
  readonly degraded: MeanDeltaE;
  readonly imagemagick: MeanDeltaE;
  readonly darkroom: MeanDeltaE;
  readonly reasons: string[];
  readonly files: { original: string; degraded: string; darkroom: string };
}

/** The report's reason lines: what each colour and tone step decided and why. */
function reasonLines(c: Corrections): string[] {
  const line = (name: string, applied: boolean, reason: string): string =>
    `${name}: ${applied ? 'applied' : 'not applied'} (${reason})`;
  return [
    line(
      'cast',
      c.cast.applied,
      `${c.cast.reason}${c.cast.applied ? `; gains ${c.cast.gains.join('/')}` : ''}`,
    ),
    `${line('exposure', c.exposure.applied, c.exposure.reason)}; ${line('levels', c.contrast.applied, c.contrast.reason)}`,
  ];
}

type ScoreCache = Record<string, { degraded: MeanDeltaE; imagemagick: MeanDeltaE }>;

async function compare(original: Buffer, file: string): Promise<MeanDeltaE> {
  const other = await decodeRgb(file);
  return meanDeltaE(original, other.data);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const imVersion = ensureImageMagick();
  const all = readDevSet();
  ensurePackages(all);
  const photos = all.filter((p) => wanted.includes(p.half));
  console.log(
    `bench/quality: ${photos.length} photos (${wanted.map((h) => `${photos.filter((p) => p.half === h).length} ${h}`).join(', ')}) x ${classes.length} classes, ${benchLongSide} px, seed ${seed}${warm ? ' (warming the cache only)' : ''}`,
  );
  console.log(`ImageMagick: ${imVersion}; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
  console.log(
    'darkroom: runPipeline, default settings, PNG out; ImageMagick: convert in.png -channel RGB -auto-level out.png',
  );
  console.log('metric: mean CIEDE2000 (and CIE76) over all pixels, against the untouched 800 px photo');

  const cacheFile = await cachePath('quality16', `scores-seed${seed}.json`);
  const cache: ScoreCache = existsSync(cacheFile)
    ? (JSON.parse(await readFile(cacheFile, 'utf8')) as ScoreCache)
    : {};
  const results: Result[] = [];
  let darkroomMs = 0;
  for (const photo of photos) {
    const stem = photo.id.replace(/\//g, '__');
    const pristine = await pristine800(photo);
    const original = await decodeRgb(pristine);
    for (const spec of classes) {
      const draw = drawFor(seed, photo.id, spec);
      const tag = `${stem}.${spec.name.replace(/\W+/g, '-')}.s${seed}`;
      const degraded =
        spec.name === 'pristine' ? pristine : await cachePath('quality16', 'degraded', `${tag}.png`);
      if (!existsSync(degraded)) {
        const px = applyMaps(original.data, draw.maps);
        await sharp(px, { raw: { width: original.width, height: original.height, channels: 3 } })
          .png()
          .toFile(degraded);
      }
      const key = `${photo.id}|${spec.name}`;
      let cached = cache[key];
      if (!cached) {
        const im = await cachePath('quality16', 'out', `${tag}.imagemagick.png`);
        // ImageMagick's output depends only on the degraded input: made once, kept in the cache.
        if (!existsSync(im)) await runConvert([degraded, '-channel', 'RGB', '-auto-level', `${im}.tmp.png`]);
        if (!existsSync(im)) await rename(`${im}.tmp.png`, im);
        cached = {
          degraded: await compare(original.data, degraded),
          imagemagick: await compare(original.data, im),
        };
        cache[key] = cached;
      }
      if (warm) continue;
      const t = performance.now();
      const r = await runPipeline(degraded, settings);
      darkroomMs += performance.now() - t;
      const out = await cachePath('quality16', 'out', `${tag}.darkroom.png`);
      await writeFile(out, r.data);
      results.push({
        photo,
        cls: spec.name,
        params: draw.params,
        degraded: cached.degraded,
        imagemagick: cached.imagemagick,
        darkroom: await compare(original.data, out),
        reasons: reasonLines(r.corrections),
        files: { original: pristine, degraded, darkroom: out },
      });
    }
    await writeFile(cacheFile, JSON.stringify(cache));
  }
  await writeFile(cacheFile, JSON.stringify(cache));
  if (warm) {
    console.log(`cache warmed: ${num((performance.now() - t0) / 1000, 1)} s`);
    return;
  }

  const verdicts: { half: Half; met: boolean }[] = [];
  for (const half of halves) {
    const rs = results.filter((r) => r.photo.half === half);
    if (rs.length === 0) continue;
    let met = true;
    const n = new Set(rs.map((r) => r.photo.id)).size;
    for (const metric of ['de2000', 'de76'] as const) {
      const rows: (string | number)[][] = [];
      for (const spec of classes) {
        const xs = rs.filter((r) => r.cls === spec.name);
        const input = mean(xs.map((x) => x.degraded[metric]));
        const dr = mean(xs.map((x) => x.darkroom[metric]));
        const im = mean(xs.map((x) => x.imagemagick[metric]));
        const worst = Math.max(...xs.map((x) => x.darkroom[metric]));
        const worse = xs.filter((x) => x.darkroom[metric] > x.degraded[metric] + 0.005).length;
        let verdict: string;
        if (spec.name === 'pristine') {
          const ok = dr <= goals.pristineMean && worst <= goals.pristineMax;
          verdict = `mean <= ${goals.pristineMean}, max <= ${goals.pristineMax}: ${passFail(ok)}`;
          if (metric === 'de2000') met &&= ok;
        } else {
          const ok40 = dr <= goals.ratio * input;
          const okIm = dr < im;
          verdict = `<= 40 %: ${passFail(ok40)}; < IM: ${passFail(okIm)}; none worse: ${passFail(worse === 0)}`;
          if (metric === 'de2000') met &&= ok40 && okIm && worse === 0;
        }
        rows.push([
          spec.name,
          num(input, 2),
          num(im, 2),
          num(dr, 2),
          spec.name === 'pristine' ? '-' : `${num((100 * dr) / input, 0)} %`,
          num(worst, 2),
          spec.name === 'pristine' ? '-' : String(worse),
          verdict,
        ]);
      }
      printTable(
        `${half.toUpperCase()} half (${n} photos): mean ${metric === 'de2000' ? 'CIEDE2000' : 'CIE76'} to the untouched photo`,
        [
          'class',
          'degraded input',
          'ImageMagick',
          'darkroom',
          'darkroom / input',
          'darkroom worst photo',
          'photos made worse',
          `goals (${metric === 'de2000' ? 'judged' : 'for reference'})`,
        ],
        rows,
      );
    }
    verdicts.push({ half, met });
    if (detail && half === 'tuning') {
      printTable(
        'Tuning half, per photo (CIEDE2000)',
        ['photo', 'class', 'strength', 'degraded', 'ImageMagick', 'darkroom', 'why'],
        rs.map((r) => [
          r.photo.id,
          r.cls,
          r.params,
          num(r.degraded.de2000, 2),
          num(r.imagemagick.de2000, 2),
          num(r.darkroom.de2000, 2),
          r.reasons.join(' | '),
        ]),
      );
    }
    // The ten worst photo x class results of this half, for looking.
    const worst = [...rs].sort((a, b) => b.darkroom.de2000 - a.darkroom.de2000).slice(0, 10);
    const rows: SheetRow[] = [];
    for (const r of worst) {
      rows.push({
        title: `${r.photo.id} — ${r.cls} (${r.params}): ΔE2000 degraded ${num(r.degraded.de2000, 2)}, ImageMagick ${num(r.imagemagick.de2000, 2)}, darkroom ${num(r.darkroom.de2000, 2)}`,
        original: await readFile(r.files.original),
        degraded: await readFile(r.files.degraded),
        darkroom: await readFile(r.files.darkroom),
        lines: r.reasons,
      });
    }
    const sheet = await cachePath('quality16', `worst-${half}-seed${seed}.png`);
    await writeContactSheet(
      rows,
      `bench/quality: the ten worst results of the ${half} half (seed ${seed})`,
      sheet,
    );
    console.log(`Contact sheet of the ten worst (${half} half): ${sheet}`);
  }

  console.log(`\nDegradation classes (seed ${seed}; strengths drawn per photo and class):`);
  console.log(
    markdownTable(
      ['class', 'what'],
      classes.map((c) => [c.name, c.what]),
    ),
  );
  console.log(
    `\nDevelopment set: ${all.length} photos; sources: ${[...new Set(all.map((p) => p.source))].join(', ')}`,
  );
  for (const v of verdicts)
    console.log(`Goals on the ${v.half} half (CIEDE2000): ${v.met ? 'met' : 'NOT met'}`);
  console.log(
    `darkroom ${num(darkroomMs / Math.max(1, results.length), 0)} ms per image; ${num((performance.now() - t0) / 1000, 1)} s in all.`,
  );
}

await main();
