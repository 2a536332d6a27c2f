// Where darkroom's time goes beyond the sharp floor, one job at a time in one process (the worker's
// settings: UV_THREADPOOL_SIZE 16, sharp as sharp-door.ts sets it): each piece of darkroom's path
// (read and checks, decode once into the .v file, analysis copy + JS analysis, main pass) beside
// the floor's pieces (decode + resize alone, the whole floor), wall and CPU, medians of rounds
// that alternate them. `npx tsx bench/imaging/where.ts [--sizes 0.5,12] [--rounds 12]`. Timings are
// printed, never asserted; under load judge by the ratios of one run.
import { readFile } from 'node:fs/promises';
import { cpuUsage } from 'node:process';
import { loadavg } from 'node:os';
import { planGeometry } from '../../src/imaging/geometry.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { analyzeResized, decodeResized, decodesOnce, orientedSize } from '../../src/imaging/resized-input.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { stopAnalysisThreads } from '../../src/imaging/analysis-thread.js';
import { megapixelJpeg } from '../common/bench-images.js';
import { median, num, printTable } from '../common/table.js';
import { jpegQuality, longSidePx, newspaperSettings } from './variants.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sizes = (option('sizes') ?? '0.5,12').split(',').map(Number);
const rounds = Number(option('rounds') ?? 12);
const settings = newspaperSettings(false);
const inside = { fit: 'inside', withoutEnlargement: true } as const;

async function timed(f: () => Promise<unknown>): Promise<[number, number]> {
  const c = cpuUsage();
  const t = performance.now();
  await f();
  const d = cpuUsage(c);
  return [performance.now() - t, (d.user + d.system) / 1000];
}

async function main(): Promise<void> {
  console.log(
    `bench/imaging/where: ${rounds} rounds per size, one job at a time, load average ${loadavg()
      .map((l) => num(l, 1))
      .join(' ')} at start`,
  );
  for (const mp of sizes) {
    const file = await megapixelJpeg(mp);
    const bytes = await readFile(file);
    const pieces: Record<string, () => Promise<unknown>> = {
      'floor: decode + resize to raw': () =>
        sharp(bytes).resize(longSidePx, longSidePx, inside).raw().toBuffer(),
      'floor: whole (decode, resize, sharpen, JPEG)': () =>
        sharp(bytes)
          .resize(longSidePx, longSidePx, inside)
          .sharpen({ sigma: 1 })
          .jpeg({ quality: jpegQuality })
          .toBuffer(),
      'darkroom: read + checks + header': () => loadInput(bytes, settings.input.maxInputPixels, 'bench.jpg'),
      'darkroom: read + decode once to .v': async () => {
        const loaded = await loadInput(bytes, settings.input.maxInputPixels, 'bench.jpg');
        const { width, height } = orientedSize(loaded);
        const plan = planGeometry(settings.geometry, width, height);
        if (!decodesOnce(loaded, plan)) return;
        const r = await decodeResized(loaded, loaded.data, plan.resize);
        await r?.dispose();
      },
      'darkroom: read + decode once + analysis (copy, JS)': async () => {
        const loaded = await loadInput(bytes, settings.input.maxInputPixels, 'bench.jpg');
        const { width, height } = orientedSize(loaded);
        const plan = planGeometry(settings.geometry, width, height);
        if (!decodesOnce(loaded, plan)) return;
        const r = await decodeResized(loaded, loaded.data, plan.resize);
        if (r === undefined) return;
        try {
          await analyzeResized(loaded, r);
        } finally {
          await r.dispose();
        }
      },
      'darkroom: whole runPipeline': () => runPipeline(bytes, settings, { fileName: 'bench.jpg' }),
      'darkroom: whole, plain path (decodeOnce: false)': () =>
        runPipeline(bytes, settings, { fileName: 'bench.jpg', decodeOnce: false }),
    };
    const names = Object.keys(pieces);
    const wall = new Map<string, number[]>(names.map((n) => [n, []]));
    const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
    // Warm-up: JIT, libvips, the analysis threads (they start with a process's second analysis).
    for (let i = 0; i < 4; i++) for (const n of names) await pieces[n]!();
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(r + k) % names.length]!;
        const [w, c] = await timed(pieces[n]!);
        wall.get(n)!.push(w);
        cpu.get(n)!.push(c);
      }
    }
    const w = (n: string): number => median(wall.get(n)!);
    const c = (n: string): number => median(cpu.get(n)!);
    const floorW = w(names[1]!);
    const floorC = c(names[1]!);
    const m = await sharp(bytes).metadata();
    printTable(
      `${mp} MP (${m.width}x${m.height}) -> ${longSidePx} px JPEG q${jpegQuality}, load average ${loadavg()
        .map((l) => num(l, 1))
        .join(' ')} after`,
      ['piece (cumulative for darkroom)', 'wall ms', 'CPU ms', 'wall / floor', 'CPU / floor'],
      names.map((n) => [
        n,
        num(w(n), 1),
        num(c(n), 1),
        `${num(w(n) / floorW, 2)}x`,
        `${num(c(n) / floorC, 2)}x`,
      ]),
    );
  }
  await stopAnalysisThreads();
}

await main();
