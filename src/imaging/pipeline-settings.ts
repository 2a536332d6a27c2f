// The pipeline settings: the one object a channel stores to steer the image pipeline.
// One zod schema gives type, default, unit and description per key; unknown keys are errors.
import { z } from 'zod';
import { DarkroomError } from '../errors/darkroom-error.js';

const strictness = z
  .enum(['off', 'flexible', 'default', 'strict'])
  .default('default')
  .describe(
    'how strictly this aspect is judged: off never rejects; flexible allows the most, strict the least',
  );

const strength = z
  .number()
  .min(0)
  .max(2)
  .default(1)
  .describe('0 = none, 1 = the measured defect is corrected as designed, 2 = twice as hard (capped)');

function step<T extends z.ZodRawShape>(what: string, extra: T) {
  return z
    .object({
      enabled: z.boolean().default(true).describe(`whether ${what} runs`),
      strength,
      ...extra,
    })
    .strict()
    .prefault({} as never)
    .describe(what);
}

const profilePath = z
  .string()
  .regex(/\.(icc|icm)$/i, 'must be srgb, adobergb or a path ending in .icc or .icm');

export const pipelineSettingsSchema = z
  .object({
    input: z
      .object({
        assumedProfile: z
          .union([z.enum(['srgb', 'adobergb']), profilePath])
          .default('srgb')
          .describe('profile assumed for images without an embedded one: srgb, adobergb or a .icc path'),
        maxInputPixels: z
          .int()
          .min(1)
          .max(1_000_000_000)
          .default(100_000_000)
          .describe('largest accepted width x height in pixels (guards against decompression bombs)'),
      })
      .strict()
      .prefault({})
      .describe('how inputs are read'),
    enhancement: z
      .object({
        cast: step('colour-cast removal (neutrals become neutral)', {}),
        exposure: step('exposure correction toward the target brightness', {
          target: z
            .number()
            .min(0.2)
            .max(0.8)
            .default(0.46)
            .describe('target mean luminance, 0 (black) to 1 (white), gamma-encoded'),
          tolerance: z
            .number()
            .min(0)
            .max(0.3)
            .default(0.15)
            .describe('a mean luminance this close to the target is left alone'),
        }),
        contrast: step('contrast: black and white points from percentiles', {
          clipPercent: z
            .number()
            .min(0)
            .max(5)
            .default(0.3)
            .describe('percent of pixels allowed to clip at each end'),
        }),
        saturation: step('saturation boost of washed-out images', {}),
        sharpen: step('sharpening, radius scaled to the output size', {}),
        noiseReduction: step('noise reduction of noisy images (a light blur; a median for strong noise)', {}),
      })
      .strict()
      .prefault({})
      .describe('automatic, image-adaptive corrections'),
    geometry: z
      .object({
        width: z.number().positive().optional().describe('target width in unit; unset = follow height'),
        height: z.number().positive().optional().describe('target height in unit; unset = follow width'),
        unit: z.enum(['px', 'mm', 'in']).default('px').describe('unit of width and height'),
        dpi: z.number().min(10).max(4800).default(300).describe('resolution for mm and in, pixels per inch'),
        fit: z
          .enum(['inside', 'fill', 'cover', 'crop'])
          .default('inside')
          .describe(
            'inside: fit within; fill: stretch; cover: fill and cut centred; crop: fill and cut by cropStrategy',
          ),
        withoutEnlargement: z.boolean().default(true).describe('never upscale'),
        aspect: z
          .string()
          .regex(/^\d+(\.\d+)?:\d+(\.\d+)?$/, 'must look like 3:2')
          .optional()
          .describe('crop to this aspect ratio (width:height) before resizing; unset = keep'),
        cropStrategy: z
          .enum(['attention', 'entropy', 'centre'])
          .default('attention')
          .describe('where crops keep the image: attention (salient parts), entropy (detail), centre'),
      })
      .strict()
      .prefault({})
      .describe('size and crop'),
    colour: z
      .object({
        space: z.enum(['srgb', 'adobergb', 'gray', 'cmyk']).default('srgb').describe('output colour space'),
        cmykProfile: z
          .union([z.literal('builtin'), profilePath])
          .default('builtin')
          .describe('CMYK profile: builtin (sharp\'s ArgyllCMS "Chemical proof") or a .icc path'),
        intent: z
          .literal('perceptual')
          .default('perceptual')
          .describe(
            'rendering intent; sharp 0.35 applies perceptual only (matrix profiles fall back to colorimetric)',
          ),
        embedProfile: z.boolean().default(true).describe('embed the output ICC profile'),
      })
      .strict()
      .prefault({})
      .describe('colour out'),
    output: z
      .object({
        format: z
          .enum(['as-input', 'jpeg', 'png', 'tiff', 'webp', 'avif'])
          .default('as-input')
          .describe('output format; as-input keeps the input format (GIF becomes PNG)'),
        jpegQuality: z.int().min(1).max(100).default(90).describe('JPEG quality'),
        webpQuality: z.int().min(1).max(100).default(85).describe('WebP quality'),
        avifQuality: z.int().min(1).max(100).default(60).describe('AVIF quality'),
        tiffCompression: z
          .enum(['none', 'lzw', 'deflate', 'jpeg'])
          .default('lzw')
          .describe('TIFF compression'),
        keepExif: z
          .boolean()
          .default(true)
          .describe('keep the input EXIF (orientation is reset after rotating)'),
        keepIptc: z.boolean().default(true).describe('keep the input IPTC'),
        keepXmp: z.boolean().default(true).describe('keep the input XMP (the stamp is added to it)'),
        namePattern: z
          .string()
          .min(1)
          .regex(/^[^/\\]+$/, 'must not contain / or \\')
          .default('{name}.{ext}')
          .describe('output file name: {name} input name without extension, {ext} output extension'),
        stamp: z.boolean().default(true).describe('write the darkroom processing stamp into XMP'),
      })
      .strict()
      .prefault({})
      .describe('output file'),
    quality: z
      .object({
        colourBalance: strictness,
        brightness: strictness,
        sharpness: strictness,
        noise: strictness,
        rejectNoProfile: z.boolean().default(false).describe('reject inputs without an embedded ICC profile'),
        rejectCmyk: z.boolean().default(false).describe('reject CMYK originals'),
      })
      .strict()
      .prefault({})
      .describe('quality check of the original; the channel workflow decides what a rejection means'),
    previews: z
      .object({
        enabled: z.boolean().default(true).describe('make before/after JPEG previews'),
        size: z.int().min(32).max(1024).default(256).describe('long side of the previews in pixels'),
      })
      .strict()
      .prefault({})
      .describe('previews for the Inspector'),
  })
  .strict()
  .describe('darkroom pipeline settings');

export type PipelineSettings = z.infer<typeof pipelineSettingsSchema>;

/** Validates settings; throws E_SETTINGS_INVALID naming the field path (and `where`, e.g. the file). */
export function parsePipelineSettings(json: unknown, where?: string): PipelineSettings {
  const r = pipelineSettingsSchema.safeParse(json ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  let path = issue.path.map(String).join('.');
  let detail = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    path = [path, keys[0]].filter((p) => p !== undefined && p !== '').join('.');
    detail = `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  const field = `${where !== undefined ? `${where}: ` : ''}${path === '' ? '(top level)' : path}`;
  throw new DarkroomError('E_SETTINGS_INVALID', { field, detail });
}

export const defaultPipelineSettings: PipelineSettings = parsePipelineSettings({});
