// bench/imaging (npm run bench:imaging): speed and peak memory of darkroom's newspaper pipeline
// on 0.5, 12 and 24 MP JPEGs, one at a time and two at once, side by side in the same run
// (rounds alternate the contestants, rotating their order) with ImageMagick as a hotfolder
// script calls it, ImageMagick tuned, and a bare sharp call (the floor).
// Goals (issue 3): >= 4x the script's throughput, >= 1.5x tuned ImageMagick's, within 1.5x of
// the floor (issue 20: within 1.3x), peak memory under 500 MB for 24 MP inputs.
// Options: --rounds N (timed rounds per size and concurrency), --sizes 0.5,12,24, --plain (adds
// darkroom decoding the input twice, as before the decode-once path).
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { cachePath, megapixelJpeg } from '../common/bench-images.js';
import { ensureImageMagick, runConvert } from '../common/imagemagick.js';
import { NodeWorker } from '../common/node-worker.js';
import { median, num, passFail, printTable } from '../common/table.js';
import {
  imageMagickArgs,
  plainVariant,
  variants as standard,
  type Variant,
  type VariantName,
} from './variants.js';
import type { ImagingJob, ImagingJobResult } from './worker.js';

const workerScript = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** --plain adds darkroom decoding twice (the path before resized-input.ts), for a before/after in one run. */
const variants: readonly Variant[] = process.argv.includes('--plain')
  ? [standard[0]!, plainVariant, ...standard.slice(1)]
  : standard;
/** darkroom JPEG within this factor of the sharp floor's throughput (issue 20, item 3). */
const floorGoal = 1.3;
const defaultRounds: Record<string, number> = { '0.5': 5, '12': 2, '24': 2 };

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Cell {
  /** Wall time of each timed round (all `concurrency` images), ms. */
  readonly roundMs: number[];
  /** Each image's latency, ms. */
  readonly imageMs: number[];
  /** CPU time (user + system) per image of each timed round, ms. */
  readonly cpuMs: number[];
  /** Peak RSS, MiB: the worker process (node variants) or the largest convert process. */
  maxRssMb: number;
  /** darkroom's own step timings, ms, per image. */
  readonly steps: Record<string, number>[];
  /** The enhancement steps darkroom applied. */
  readonly applied: Set<string>;
}

interface Input {
  readonly mp: number;
  readonly file: string;
  readonly width: number;
  readonly height: number;
}

async function runImageMagick(
  v: Variant,
  input: Input,
  concurrency: number,
  cell: Cell | undefined,
): Promise<void> {
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const out = await cachePath('imaging', 'out', `${v.name}-${i}.jpg`);
      const r = await runConvert(imageMagickArgs(v.name as 'im-script' | 'im-tuned', input.file, out, input));
      return r;
    }),
  );
  if (!cell) return;
  cell.roundMs.push(performance.now() - t0);
  cell.cpuMs.push(runs.reduce((a, r) => a + r.cpuMs, 0) / concurrency);
  for (const r of runs) {
    cell.imageMs.push(r.ms);
    cell.maxRssMb = Math.max(cell.maxRssMb, r.maxRssMb);
  }
}

async function runNode(
  w: NodeWorker,
  v: Variant,
  input: Input,
  concurrency: number,
  cell: Cell | undefined,
): Promise<void> {
  const ext = v.name === 'darkroom-cmyk' ? 'tif' : 'jpg';
  const items = await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => ({
      input: input.file,
      output: await cachePath('imaging', 'out', `${v.name}-${i}.${ext}`),
    })),
  );
  const t0 = performance.now();
  const r = await w.job<ImagingJobResult>({ items, warmUp: cell === undefined } satisfies ImagingJob);
  if (!cell) return;
  cell.roundMs.push(performance.now() - t0);
  cell.cpuMs.push(r.cpuMs / concurrency);
  cell.imageMs.push(...r.ms);
  cell.steps.push(...r.steps);
  for (const a of r.applied.flat()) cell.applied.add(a);
}

async function measure(input: Input, concurrency: number, rounds: number): Promise<Map<VariantName, Cell>> {
  const cells = new Map<VariantName, Cell>(
    variants.map((v) => [
      v.name,
      { roundMs: [], imageMs: [], cpuMs: [], maxRssMb: 0, steps: [], applied: new Set<string>() },
    ]),
  );
  const workers = new Map<VariantName, NodeWorker>();
  for (const v of variants) {
    if (v.kind === 'node')
      workers.set(v.name, NodeWorker.start(v.name, workerScript, [v.name], { UV_THREADPOOL_SIZE: '16' }));
  }
  try {
    const once = (v: Variant, cell: Cell | undefined): Promise<void> => {
      const w = workers.get(v.name);
      return w ? runNode(w, v, input, concurrency, cell) : runImageMagick(v, input, concurrency, cell);
    };
    // Warm-up: module loading, JIT, libvips and darkroom's analysis threads start up in each
    // worker (a server pays them once).
    for (const v of variants) if (v.kind === 'node') await once(v, undefined);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(r + k) % variants.length]!;
        await once(v, cells.get(v.name));
      }
    }
    for (const [name, w] of workers) cells.get(name)!.maxRssMb = (await w.stats()).maxRssMb;
  } finally {
    await Promise.all([...workers.values()].map((w) => w.stop()));
  }
  return cells;
}

const imagesPerSecond = (c: Cell, concurrency: number): number => (1000 * concurrency) / median(c.roundMs);

async function main(): Promise<void> {
  const t0 = performance.now();
  const sizes = (option('sizes') ?? '0.5,12,24').split(',').map(Number);
  const roundsOverride = option('rounds');
  const imVersion = ensureImageMagick();
  const inputs: Input[] = [];
  for (const mp of sizes) {
    const file = await megapixelJpeg(mp);
    const m = await sharp(file).metadata();
    inputs.push({ mp, file, width: m.width, height: m.height });
  }
  const cpu = cpus();
  console.log(
    `bench/imaging on ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${num(totalmem() / 2 ** 30, 0)} GiB RAM, load average ${loadavg()
      .map((l) => num(l, 1))
      .join(' ')} at start`,
  );
  console.log(
    `Node ${process.version}; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; ImageMagick ${imVersion}`,
  );
  for (const v of variants) console.log(`  ${v.label.padEnd(20)} ${v.what}`);
  console.log(
    'Node contestants run in their own long-lived worker process (UV_THREADPOOL_SIZE=16, sharp as src/imaging/sharp-door.ts sets it),',
  );
  console.log(
    'one warm-up job each, then timed rounds; ImageMagick runs one convert process per image (no warm-up).',
  );
  console.log(
    'Times are wall clock seen by the bench, including reading the input and writing the output file.',
  );

  const goalRows: (string | number)[][] = [];
  const stepRows: (string | number)[][] = [];
  let allPass = true;
  for (const input of inputs) {
    const rounds =
      roundsOverride !== undefined ? Number(roundsOverride) : (defaultRounds[String(input.mp)] ?? 3);
    for (const concurrency of [1, 2]) {
      const cells = await measure(input, concurrency, rounds);
      const rows = variants.map((v) => {
        const c = cells.get(v.name)!;
        return [
          v.label,
          median(c.imageMs),
          num(imagesPerSecond(c, concurrency), 2),
          median(c.cpuMs),
          num(c.maxRssMb, 0),
        ];
      });
      printTable(
        `${input.mp} MP (${input.width}x${input.height}), ${concurrency === 1 ? 'one at a time' : 'two at once'}, ${rounds} timed rounds (median), load average ${loadavg()
          .map((l) => num(l, 1))
          .join(' ')} after`,
        [
          'contestant',
          'ms/image',
          'images/s',
          'CPU ms/image',
          concurrency === 1 ? 'peak RSS MB' : 'peak RSS MB (process)',
        ],
        rows,
      );
      const ips = (n: VariantName): number => imagesPerSecond(cells.get(n)!, concurrency);
      const dr = ips('darkroom');
      const vsScript = dr / ips('im-script');
      const vsTuned = dr / ips('im-tuned');
      const floorRatio = ips('floor') / dr;
      const cpu = (n: VariantName): number => median(cells.get(n)!.cpuMs);
      const cpuRatios = `${num(cpu('im-script') / cpu('darkroom'), 1)}x / ${num(cpu('im-tuned') / cpu('darkroom'), 1)}x / ${num(cpu('darkroom') / cpu('floor'), 2)}x`;
      const rss = cells.get('darkroom')!.maxRssMb;
      const rssCmyk = cells.get('darkroom-cmyk')!.maxRssMb;
      const memOk = input.mp < 24 || Math.max(rss, rssCmyk) < 500;
      const ok = vsScript >= 4 && vsTuned >= 1.5 && floorRatio <= floorGoal && memOk;
      allPass &&= ok;
      goalRows.push([
        `${input.mp} MP`,
        concurrency,
        num(dr, 2),
        `${num(vsScript, 1)}x ${passFail(vsScript >= 4)}`,
        `${num(vsTuned, 1)}x ${passFail(vsTuned >= 1.5)}`,
        `${num(floorRatio, 2)}x ${passFail(floorRatio <= floorGoal)}`,
        cpuRatios,
        `${num(ips('darkroom-cmyk') / ips('im-script'), 1)}x / ${num(ips('darkroom-cmyk') / ips('im-tuned'), 1)}x`,
        input.mp < 24
          ? `${num(rss, 0)} / ${num(rssCmyk, 0)}`
          : `${num(rss, 0)} / ${num(rssCmyk, 0)} ${passFail(memOk)}`,
      ]);
      for (const name of variants.map((v) => v.name).filter((n) => n.startsWith('darkroom'))) {
        const steps = cells.get(name)!.steps;
        const keys = [...new Set(steps.flatMap((s) => Object.keys(s)))];
        stepRows.push([
          `${input.mp} MP x${concurrency}`,
          name,
          [...cells.get(name)!.applied].join(' ') || 'none',
          ...keys.map((k) => `${k} ${num(median(steps.map((s) => s[k] ?? 0)), 0)}`),
        ]);
      }
    }
  }
  printTable(
    'Goals (darkroom JPEG; throughput ratios from images/s)',
    [
      'input',
      'at once',
      'darkroom img/s',
      'vs script (>= 4x)',
      'vs tuned (>= 1.5x)',
      `floor / darkroom (<= ${floorGoal}x)`,
      'CPU ratios script/dr, tuned/dr, dr/floor',
      'CMYK TIFF vs script / tuned',
      'peak RSS MB JPEG / CMYK (< 500)',
    ],
    goalRows,
  );
  const width = Math.max(...stepRows.map((r) => r.length));
  printTable(
    "darkroom's own step timings (median ms per image, from runPipeline's timingsMs)",
    [
      'input',
      'variant',
      'enhancement applied',
      ...Array.from({ length: width - 3 }, (_, i) => `step ${i + 1}`),
    ],
    stepRows,
  );
  console.log(
    `All goals: ${allPass ? 'met' : 'NOT met'}. Load average ${loadavg()
      .map((l) => num(l, 1))
      .join(' ')} at the end; ${num((performance.now() - t0) / 1000, 0)} s in all.`,
  );
}

await main();
