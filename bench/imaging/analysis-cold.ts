// Prints CPU ms per call of the JS analysis and per runPipeline job on the 0.5 MP bench input
// in a fresh process, call by call, as bench/imaging sees them (a cold start, then warm; jobs
// wait after the second for the analysis threads, as the bench's warm-up job does):
// `npx tsx bench/imaging/analysis-cold.ts`. Timings are printed, never asserted.
import { readFile } from 'node:fs/promises';
import { cpuUsage } from 'node:process';
import { megapixelJpeg } from '../common/bench-images.js';
import { analyzeLoaded, analyzePixels } from '../../src/imaging/analysis.js';
import { analysisThreads } from '../../src/imaging/analysis-thread.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';

const calls = Number(process.argv[2] ?? 12);
const bytes = await readFile(await megapixelJpeg(0.5));
const settings = parsePipelineSettings({});
const cpuMs = (): number => {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
};
const mode = process.argv[3] ?? 'analysis';
const times: string[] = [];
if (mode === 'analysis') {
  const { analysis, detail } = await analyzeLoaded(await loadInput(bytes, 1e8, 'bench.jpg'));
  const copy = detail.copy!;
  for (let k = 0; k < calls; k++) {
    const t = cpuMs();
    analyzePixels(copy.data, copy.width, copy.height, analysis);
    times.push((cpuMs() - t).toFixed(1));
  }
} else {
  for (let k = 0; k < calls; k++) {
    if (k === 2) {
      // As bench/imaging's warm-up job: wait until the analysis threads started so far are ready.
      const deadline = performance.now() + 30_000;
      while (analysisThreads().ready < analysisThreads().started && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const t = cpuMs();
    await runPipeline(bytes, settings, { fileName: 'bench.jpg' });
    times.push((cpuMs() - t).toFixed(1));
  }
}
console.log(`${mode}, CPU ms per call: ${times.join(' ')}`);
