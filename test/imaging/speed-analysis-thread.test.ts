// The JS analysis on worker threads (analysis-thread.ts) gives exactly the result of the same
// function on the calling thread, and idle threads do not keep the process alive.
import { afterAll, describe, expect, it } from 'vitest';
import { analyzePixels } from '../../src/imaging/analysis.js';
import { analysisThreads, analyzeOffThread, stopAnalysisThreads } from '../../src/imaging/analysis-thread.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { sample } from './image-fixtures.js';

afterAll(() => stopAnalysisThreads());

const about = {
  format: 'png',
  width: 512,
  height: 341,
  space: 'srgb',
  isCmyk: false,
  isGray: false,
  hasAlpha: false,
  hasProfile: false,
  orientation: 1,
};

describe('analysis on worker threads', () => {
  it('starts with the second analysis, in the background, then gives the same result as this thread', async () => {
    const { data, info } = await sharp(sample('coffee.png'))
      .removeAlpha()
      .resize(512, 512, { fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const here = analyzePixels(data, info.width, info.height, about);
    // The first call runs here and starts nothing (a one-shot process never pays for threads).
    expect(await analyzeOffThread(data, info.width, info.height, about)).toEqual(here);
    expect(analysisThreads().started).toBe(0);
    // The second starts them in the background and still runs here; wait (with a deadline) until one is ready.
    expect(await analyzeOffThread(data, info.width, info.height, about)).toEqual(here);
    expect(analysisThreads().started).toBe(2);
    const deadline = performance.now() + 20_000;
    while (analysisThreads().ready === 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(analysisThreads().ready).toBeGreaterThan(0);
    const [a, b] = await Promise.all([
      analyzeOffThread(data, info.width, info.height, about),
      analyzeOffThread(data, info.width, info.height, about),
    ]);
    expect(a).toEqual(here);
    expect(b).toEqual(here);
    expect(a.detail.lumaHistogram).toBeInstanceOf(Float64Array);
  });
});
