// Speed work changes how the pipeline runs, never what it writes: for small photos kept at their
// size (decoded once) the output bytes, the analysis and the plan are those of the plain path
// (decodeOnce: false: decode for the analysis, decode again for the main pass), the path the speed
// work leaves as it was; a photo EXIF turns takes the plain path (its copy differed).
import { describe, expect, it } from 'vitest';
import { runPipeline, type PipelineResult } from '../../src/imaging/pipeline.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { sample } from './image-fixtures.js';

const decodedOnce = (r: PipelineResult): boolean => r.timingsMs['decode'] !== undefined;

/** No size limit (the photo is kept at its size), JPEG q85, sRGB or another space out. */
const kept = (extra: Record<string, unknown> = {}) =>
  parsePipelineSettings({ output: { format: 'jpeg', jpegQuality: 85 }, ...extra });

async function inputs(): Promise<{ name: string; data: Buffer }[]> {
  const coffee = await sharp(sample('coffee.png')).resize(866).jpeg({ quality: 92 }).toBuffer();
  // EXIF orientation 6: the photo is 577 wide once turned; the plan's size is the turned one.
  const sideways = await sharp(sample('chelsea.png'))
    .resize(700)
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  return [
    { name: 'coffee 866 px JPEG', data: coffee },
    { name: 'chelsea 700 px JPEG, EXIF orientation 6', data: sideways },
    { name: 'rocket.jpg', data: await sharp(sample('rocket.jpg')).toBuffer() },
    { name: 'chelsea.png', data: await sharp(sample('chelsea.png')).png().toBuffer() },
  ];
}

describe('runPipeline on a small photo kept at its size', () => {
  it('decodes it once and writes the plain path bytes, analysis and plan', async () => {
    const settings = [kept(), kept({ colour: { space: 'adobergb' } })];
    for (const { name, data } of await inputs()) {
      for (const s of settings) {
        const plain = await runPipeline(data, s, { decodeOnce: false });
        const once = await runPipeline(data, s);
        expect(decodedOnce(plain), name).toBe(false);
        // A photo EXIF turns takes the plain path (its plain analysis copy differs in the last digits).
        expect(decodedOnce(once), name).toBe(!name.includes('orientation'));
        expect(once.analysis, name).toEqual(plain.analysis);
        expect(once.corrections, name).toEqual(plain.corrections);
        expect([once.width, once.height], name).toEqual([plain.width, plain.height]);
        expect(once.data.equals(plain.data), `${name}: output bytes`).toBe(true);
      }
    }
  }, 180_000);
});
