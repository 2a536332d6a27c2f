// Prints the CPU time of the fixed costs of one job on the 0.5 MP bench input (the JS analysis,
// the plan, the previews and the whole runPipeline), medians over many calls in one process:
// `npx tsx bench/imaging/analysis-time.ts [rounds]`. Timings are printed, never asserted.
import { cpuUsage } from 'node:process';
import { megapixelJpeg } from '../common/bench-images.js';
import { analyzeLoaded, analyzePixels } from '../../src/imaging/analysis.js';
import { planCorrections } from '../../src/imaging/corrections.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { makePreviews } from '../../src/imaging/previews.js';
import { readFile } from 'node:fs/promises';

const rounds = Number(process.argv[2] ?? 60);
const file = await megapixelJpeg(0.5);
const bytes = await readFile(file);
const settings = parsePipelineSettings({});
const loaded = await loadInput(bytes, 100_000_000, 'bench.jpg');
const { analysis, detail } = await analyzeLoaded(loaded);
const copy = detail.copy!;
const about = analysis;
const output = (await runPipeline(bytes, settings, { fileName: 'bench.jpg' })).data;

function cpuMs(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

async function median(label: string, f: () => unknown): Promise<void> {
  const times: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t = cpuMs();
    await f();
    times.push(cpuMs() - t);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)]!;
  const lo = times[Math.floor(times.length / 10)]!;
  console.log(`${label.padEnd(34)} median ${m.toFixed(2)} CPU ms (p10 ${lo.toFixed(2)})`);
}

console.log(`0.5 MP bench input ${file}, analysis copy ${copy.width} x ${copy.height}, ${rounds} rounds`);
await median('analyzePixels', () => analyzePixels(copy.data, copy.width, copy.height, about));
await median('planCorrections (defaults)', () =>
  planCorrections(analysis, detail, settings.enhancement, 2000, Math.max(analysis.width, analysis.height)),
);
await median('makePreviews (before from the copy)', () => makePreviews(copy, output, 256, 'bench.jpg'));
await median('runPipeline', () => runPipeline(bytes, settings, { fileName: 'bench.jpg' }));
