import { describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import {
  defaultPipelineSettings,
  parsePipelineSettings,
  pipelineSettingsSchema,
} from '../../src/imaging/pipeline-settings.js';

function settingsError(json: unknown, where?: string): { code: string; message: string } {
  try {
    parsePipelineSettings(json, where);
  } catch (err) {
    if (isDarkroomError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

describe('pipeline settings', () => {
  it('an empty object gives every default', () => {
    const s = parsePipelineSettings({});
    expect(s).toEqual(defaultPipelineSettings);
    expect(s.input.maxInputPixels).toBe(100_000_000);
    expect(s.enhancement.cast).toEqual({ enabled: true, strength: 1 });
    expect(s.geometry.withoutEnlargement).toBe(true);
    expect(s.output.namePattern).toBe('{name}.{ext}');
    expect(s.quality.sharpness).toBe('default');
  });

  it('a partial group keeps the defaults of its other keys', () => {
    const s = parsePipelineSettings({ enhancement: { sharpen: { strength: 2 } }, colour: { space: 'cmyk' } });
    expect(s.enhancement.sharpen).toEqual({ enabled: true, strength: 2 });
    expect(s.enhancement.exposure.target).toBe(0.46);
    expect(s.colour.cmykProfile).toBe('builtin');
  });

  it('an invalid value is refused naming the field path and the file', () => {
    const e = settingsError({ enhancement: { exposure: { strength: 3 } } }, 'news.json');
    expect(e.code).toBe('E_SETTINGS_INVALID');
    expect(e.message).toContain('news.json: enhancement.exposure.strength');
  });

  it('an unknown key is refused by name, at any depth', () => {
    expect(settingsError({ output: { qualty: 80 } }).message).toContain('output.qualty');
    expect(settingsError({ colour: { space: 'srgb' }, extra: 1 }).message).toContain('unknown key extra');
  });

  it('a profile setting must be a known name or an .icc path', () => {
    expect(settingsError({ colour: { cmykProfile: 'fogra.txt' } }).message).toContain('colour.cmykProfile');
    expect(parsePipelineSettings({ colour: { cmykProfile: '/p/ISOcoated.icc' } }).colour.cmykProfile).toBe(
      '/p/ISOcoated.icc',
    );
  });

  it('every field carries a description (the docs are generated from them)', () => {
    const shape = pipelineSettingsSchema.shape;
    for (const [group, schema] of Object.entries(shape)) {
      expect(schema.description, group).toBeTruthy();
    }
  });
});
