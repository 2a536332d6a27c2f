// The grey-edge illuminant of the analysis (one of the cues that must agree before a cast is
// believed, defect-evidence.ts) moves with a cast.
import { describe, expect, it } from 'vitest';
import { analyzeLoaded } from '../../src/imaging/analysis.js';
import { loadInput } from '../../src/imaging/image-input.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { degrade, samplePng } from './image-fixtures.js';

/** A shade-like cool cast on the 8-bit code values. */
const cool = (s: ReturnType<typeof sharp>): ReturnType<typeof sharp> =>
  s.linear([0.8, 0.95, 1.12], [0, 0, 0]);

describe('grey-edge illuminant', () => {
  it('moves with a cool cast: red down, blue up', async () => {
    const o = await samplePng('rocket.jpg', 512);
    const before = (await analyzeLoaded(await loadInput(o, 1e9))).analysis.cast.edge!;
    const after = (await analyzeLoaded(await loadInput(await degrade(o, cool), 1e9))).analysis.cast.edge!;
    expect(after[0] - before[0]).toBeLessThan(-0.2);
    expect(after[1] - before[1]).toBeGreaterThan(0.2);
  });
});
