// The colour and tone plan simulated in JS for the quality bench's tuning loops (fast-loop.ts):
// the analysis of a photo as the pipeline makes it (cached by the analysis code's hash), the
// plan's per-channel mapping applied the way the pipeline orders it, and mean CIEDE2000.
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
import { applyCurves } from '../../src/imaging/channel-curves.js';
import type { Corrections } from '../../src/imaging/corrections.js';
import { cachePath, repoRoot } from '../common/bench-images.js';
import { deltaE2000, srgbToLab } from '../common/colour-difference.js';

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
export function applyToneMapping(px0: Uint8Array, c: Corrections): Buffer {
  const px = c.curves?.applied ? applyCurves(px0, c.curves.exponents) : px0;
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

/** Mean CIEDE2000 between two same-size RGB buffers, on every `step`-th pixel. */
export function meanDe(ref: Uint8Array, other: Uint8Array, step = 3): number {
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

/** The analysis of an 800 px photo as the pipeline would make it, cached by `tag` and the analysis code's hash. */
export async function analysisOf(
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

/** One line of what the colour and tone plan decided. */
export function reasonOf(c: Corrections): string {
  const d = c.decisions;
  const parts = [
    ...(c.curves?.applied ? [`curves ${c.curves.exponents.join('/')} (${d?.curves?.score})`] : []),
    `cast ${c.cast.applied ? c.cast.gains.join('/') : '-'} (${d?.cast.score ?? 0}: ${d?.cast.why ?? ''})`,
    ...(d?.skin ? [`skin kept ${d.skin.kept}`] : []),
    ...(d?.harm ? [`harm ${d.harm.predicted}/${d.harm.allowed} kept ${d.harm.kept}`] : []),
    `exp e${c.exposure.exponent} k${c.exposure.gain}`,
    `levels s${c.contrast.scale} o${c.contrast.offsets.map((o) => Math.round(o)).join('/')} (veil ${d?.veil.score} dim ${d?.dim.score} dark ${d?.dark.score} bright ${d?.bright.score} clip ${d?.clipped.score})`,
  ];
  return parts.join('; ');
}
