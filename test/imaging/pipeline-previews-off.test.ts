// runPipeline makes previews only when asked ({ previews: true }): without them (the default, as
// every darkroom caller runs it) the output bytes, the analysis and the plan are exactly those of
// the call with previews, and no preview is made.
import { describe, expect, it } from 'vitest';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { sample } from './image-fixtures.js';

describe('runPipeline without previews', () => {
  it.each(['coffee.png', 'rocket.jpg', 'chelsea.png', 'u76c0g_bliznaca_srgb8.png'])(
    '%s: the same output bytes, analysis and corrections, and no previews',
    async (name) => {
      const settings = parsePipelineSettings({});
      const withPreviews = await runPipeline(sample(name), settings, { previews: true });
      const without = await runPipeline(sample(name), settings, { previews: false });
      const byDefault = await runPipeline(sample(name), settings);
      expect(withPreviews.previews).toBeDefined();
      expect(without.previews).toBeUndefined();
      expect(byDefault.previews).toBeUndefined();
      expect(without.timingsMs['previews']).toBeUndefined();
      expect(Buffer.compare(byDefault.data, withPreviews.data)).toBe(0);
      expect(Buffer.compare(without.data, withPreviews.data)).toBe(0);
      expect(without.analysis).toEqual(withPreviews.analysis);
      expect(without.corrections).toEqual(withPreviews.corrections);
    },
    60_000,
  );
});
