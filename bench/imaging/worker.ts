// One bench/imaging contestant that runs inside Node (darkroom JPEG, darkroom CMYK TIFF, or
// the sharp floor), as a worker process of run.ts: each job processes its inputs at once
// (Promise.all) and writes the outputs, like the server with that many slots.
import { readFile, writeFile } from 'node:fs/promises';
import { analysisThreads } from '../../src/imaging/analysis-thread.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { serveWorker } from '../common/node-worker.js';
import { jpegQuality, longSidePx, newspaperSettings, type VariantName } from './variants.js';

export interface ImagingJob {
  readonly items: readonly { readonly input: string; readonly output: string }[];
  /** The warm-up job: run the items twice and wait until darkroom's analysis threads are ready. */
  readonly warmUp?: boolean;
}

export interface ImagingJobResult {
  /** Per item: start of the job to the item's output written, in ms. */
  readonly ms: number[];
  /** Per item: darkroom's own step timings (empty for the floor). */
  readonly steps: Record<string, number>[];
  /** Per item: the enhancement steps darkroom applied (empty for the floor). */
  readonly applied: string[][];
  /** CPU time (user + system) of this process during the job, all items together, ms. */
  readonly cpuMs: number;
}

const name = process.argv[2] as VariantName;
const settings = name === 'darkroom-cmyk' ? newspaperSettings(true) : newspaperSettings(false);

interface Done {
  readonly steps: Record<string, number>;
  readonly applied: string[];
}

async function one(input: string, output: string): Promise<Done> {
  if (name === 'floor') {
    const data = await sharp(await readFile(input))
      .resize(longSidePx, longSidePx, { fit: 'inside', withoutEnlargement: true })
      .sharpen({ sigma: 1 })
      .jpeg({ quality: jpegQuality })
      .toBuffer();
    await writeFile(output, data);
    return { steps: {}, applied: [] };
  }
  // As a hotfolder job calls it (src/instance/process-job.ts): no previews, nobody keeps them.
  const r = await runPipeline(input, settings, {
    previews: false,
    ...(name === 'darkroom-plain' ? { decodeOnce: false } : {}),
  });
  await writeFile(output, r.data);
  return {
    steps: Object.fromEntries(Object.entries(r.timingsMs).filter(([, v]) => typeof v === 'number')),
    applied: Object.entries(r.corrections)
      .filter(([, c]) => (c as { applied: boolean }).applied)
      .map(([k]) => k),
  };
}

if (!['darkroom', 'darkroom-plain', 'darkroom-cmyk', 'floor'].includes(name))
  throw new Error(`worker: unknown variant ${name}`);

serveWorker(async (payload) => {
  const job = payload as ImagingJob;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = await Promise.all(
    job.items.map(async ({ input, output }) => {
      const d = await one(input, output);
      return { ms: performance.now() - t0, ...d };
    }),
  );
  if (job.warmUp === true) {
    // The analysis threads start with a process's second analysis and warm up in the background.
    for (const { input, output } of job.items) await one(input, output);
    const deadline = performance.now() + 30_000;
    while (analysisThreads().ready < analysisThreads().started && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    ms: done.map((d) => d.ms),
    steps: done.map((d) => d.steps),
    applied: done.map((d) => d.applied),
    cpuMs: (cpu.user + cpu.system) / 1000,
  } satisfies ImagingJobResult;
});
