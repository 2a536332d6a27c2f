// bench/quality/fast-loop.ts (npm run bench:quality:fast): the tuning loop of issue 16. The
// same photos, classes and seeded strengths as run.ts, but the colour and tone plan is applied
// in JS to the 800 px degraded pixels (gamma, then the per-channel linear step, exactly as the
// pipeline orders them) instead of running the whole sharp pipeline, and the analysis of each
// degraded photo is cached; sharpening, saturation and noise reduction are left out, so its
// figures are a little lower than run.ts's. Tuning half by default: thresholds are chosen here.
//   --seed N       degradations' seed (default 16); --half tuning|check (check: aggregate only)
//   --classes a,b  only these classes (names as printed); --detail  per-photo lines
//   --step K       ΔE on every K-th pixel (default 3)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import sharp from 'sharp';
import {
  analysisLongSide,
  analyzePixels,
  type Analysis,
  type AnalysisDetail,
} from '../../src/imaging/analysis.js';
import { planCorrections, type Corrections } from '../../src/imaging/corrections.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { cachePath, decodeRgb, repoRoot } from '../common/bench-images.js';
import { deltaE2000, srgbToLab } from '../common/colour-difference.js';
import { mean, num, printTable } from '../common/table.js';
import { applyMaps, classes, drawFor } from './degradations.js';
import { ensurePackages, pristine800, readDevSet, type Half } from './dev-set.js';

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

/** The analysis code's own hash: a cached analysis is reused only while that code is unchanged. */
const analysisVersion = createHash('sha256')
  .update(
    ['analysis.ts', 'cast-estimate.ts', 'chroma-tables.ts', 'colour-math.ts', 'sharpness-noise.ts']
      .map((f) =>
        existsSync(`${repoRoot}src/imaging/${f}`) ? readFileSync(`${repoRoot}src/imaging/${f}`) : '',
      )
      .join('|'),
  )
  .digest('hex')
  .slice(0, 12);

/** Applies the plan's colour and tone mapping the way the pipeline does: gamma, then one linear per channel. */
export function applyToneMapping(px: Uint8Array, c: Corrections): Buffer {
  const e = c.exposure.exponent;
  const k = c.exposure.gain;
  const luts = [0, 1, 2].map((i) => {
    const a = c.contrast.scales[i]! * k * c.cast.gains[i]! ** e;
    const b = c.contrast.offsets[i]!;
    return Uint8Array.from({ length: 256 }, (_, v) =>
      Math.max(0, Math.min(255, Math.round(a * 255 * (v / 255) ** e + b))),
    );
  });
  const out = Buffer.alloc(px.length);
  for (let i = 0; i < px.length; i += 3) {
    out[i] = luts[0]![px[i]!]!;
    out[i + 1] = luts[1]![px[i + 1]!]!;
    out[i + 2] = luts[2]![px[i + 2]!]!;
  }
  return out;
}

function meanDe(ref: Uint8Array, other: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i += 3 * step) {
    sum += deltaE2000(
      srgbToLab(ref[i]!, ref[i + 1]!, ref[i + 2]!),
      srgbToLab(other[i]!, other[i + 1]!, other[i + 2]!),
    );
    n++;
  }
  return sum / Math.max(1, n);
}

interface Row {
  id: string;
  cls: string;
  params: string;
  input: number;
  out: number;
  im?: number;
  why: string;
}

async function analysisOf(
  tag: string,
  px: Buffer,
  w: number,
  h: number,
): Promise<{ analysis: Analysis; detail: AnalysisDetail }> {
  const file = await cachePath('quality16', 'fast', analysisVersion, `${tag}.v8`);
  if (existsSync(file))
    return deserialize(await readFile(file)) as { analysis: Analysis; detail: AnalysisDetail };
  const png = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
  const raw = await sharp(png)
    .resize(analysisLongSide, analysisLongSide, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const r = analyzePixels(raw.data, raw.info.width, raw.info.height, {
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
  const withCopy = {
    ...r,
    detail: { ...r.detail, copy: { data: raw.data, width: raw.info.width, height: raw.info.height } },
  };
  await writeFile(file, serialize(withCopy));
  return withCopy;
}

function reasonOf(c: Corrections): string {
  const d = c.decisions;
  const parts = [
    `cast ${c.cast.applied ? c.cast.gains.join('/') : '-'} (${d?.cast.score ?? 0}: ${d?.cast.why ?? ''})`,
    ...(d?.skin ? [`skin kept ${d.skin.kept}`] : []),
    `exp e${c.exposure.exponent} k${c.exposure.gain}`,
    `levels s${c.contrast.scale} o${c.contrast.offsets.map((o) => Math.round(o)).join('/')} (veil ${d?.veil.score} dim ${d?.dim.score} dark ${d?.dark.score} bright ${d?.bright.score} clip ${d?.clipped.score})`,
  ];
  return parts.join('; ');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const all = readDevSet();
  ensurePackages(all);
  const photos = all.filter((p) => p.half === half);
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
        input: meanDe(original.data, degraded),
        out: meanDe(original.data, out),
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
      half === 'check' ? num(worst.out, 2) : `${num(worst.out, 2)} ${worst.id}`,
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
