// The noise estimate is not fooled by texture: measured at analysis size (<= 512 px) and scaled
// to the output size, a clean large photo gets no noise reduction, a grainy one still does.
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { sample, withGrain } from './image-fixtures.js';

const to2000 = parsePipelineSettings({ geometry: { width: 2000 } });

/** A sample upscaled to `width` px as a JPEG (a camera-sized file with the sample's texture). */
function large(name: string, width: number): Promise<Buffer> {
  return sharp(sample(name)).removeAlpha().resize(width).jpeg({ quality: 92 }).toBuffer();
}

describe('noise estimate on large photos', () => {
  it.each(['coffee.png', 'motorcycle_left.png'])(
    'the texture of clean %s at 6000 px is not taken for noise at 2000 px out',
    async (name) => {
      const r = await runPipeline(await large(name, 6000), to2000, { outputFormat: 'jpeg' });
      expect(r.width).toBe(2000);
      expect(r.corrections.noiseReduction.applied).toBe(false);
    },
  );

  it('grain on a 3000 px photo kept at its size is still reduced', async () => {
    const input = await withGrain(await large('u76c0g_bliznaca_srgb8.png', 3000), 24, 'jpeg');
    const r = await runPipeline(input, parsePipelineSettings({}), { outputFormat: 'jpeg' });
    expect(r.width).toBe(3000);
    expect(r.corrections.noiseReduction.applied).toBe(true);
    // A deadline, not a timing: 12.7 s at load 14, over 30 s at load 40 (it timed out there).
  }, 120_000);
});
