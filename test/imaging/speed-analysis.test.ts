// The speed work on the analysis, the plan and the previews changes no result: every sample (and
// degraded or synthetic input) gives the analysis, detail, analysis copy, plans, output bytes and
// previews recorded in fixtures/speed-analysis-golden.json by the code before that work.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { computeGolden, goldenFile } from './speed-analysis-golden.js';

describe('analysis, plan and pipeline after the speed work', () => {
  it('give the same results as before it, bit for bit', async () => {
    const golden = JSON.parse(await readFile(goldenFile, 'utf8')) as Awaited<
      ReturnType<typeof computeGolden>
    >;
    const now = await computeGolden();
    expect(Object.keys(now.inputs)).toEqual(Object.keys(golden.inputs));
    for (const [name, g] of Object.entries(golden.inputs)) {
      expect({ name, ...now.inputs[name] }).toEqual({ name, ...g });
    }
    expect(now.pipeline).toEqual(golden.pipeline);
  }, 120_000);

  it('rounds luma by adding a half and truncating exactly as Math.round does, for every colour', () => {
    // analyzePixels relies on it (Math.round costs 4x as much in V8).
    let differ = 0;
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++) {
          const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
          if (((l + 0.5) | 0) !== Math.round(l)) differ++;
        }
      }
    }
    expect(differ).toBe(0);
  });
});
