// Output formats: which format to write (as input, by setting, or by the caller), its
// extension, the encoder options, and the output file name from the naming pattern.
import { DarkroomError } from '../errors/darkroom-error.js';
import type { InputFormat } from './image-input.js';
import type { PipelineSettings } from './pipeline-settings.js';
import type { Sharp } from './sharp-door.js';

export type OutputFormat = 'jpeg' | 'png' | 'tiff' | 'webp' | 'avif';
export type RequestedFormat = PipelineSettings['output']['format'];

const extensions: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  tiff: 'tif',
  webp: 'webp',
  avif: 'avif',
};

export function extensionOf(format: OutputFormat): string {
  return extensions[format];
}

/** The output format from a file name's extension; E_IMAGE_OUTPUT_UNSUPPORTED otherwise. */
export function formatFromName(file: string): OutputFormat {
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  const byExt: Record<string, OutputFormat> = {
    jpg: 'jpeg',
    jpeg: 'jpeg',
    jpe: 'jpeg',
    png: 'png',
    tif: 'tiff',
    tiff: 'tiff',
    webp: 'webp',
    avif: 'avif',
  };
  const f = ext === undefined ? undefined : byExt[ext];
  if (f === undefined) {
    throw new DarkroomError('E_IMAGE_OUTPUT_UNSUPPORTED', {
      file,
      detail: ext === undefined ? 'a file without an extension' : `.${ext} files`,
    });
  }
  return f;
}

/** GIF (palette, 256 colours) becomes PNG and HEIF becomes AVIF when the output keeps the input format. */
export function resolveFormat(requested: RequestedFormat, input: InputFormat): OutputFormat {
  if (requested !== 'as-input') return requested;
  if (input === 'gif') return 'png';
  if (input === 'heif') return 'avif';
  return input;
}

/** Applies the encoder; CMYK is refused for formats that cannot hold it. */
export function applyEncoder(
  img: Sharp,
  format: OutputFormat,
  o: PipelineSettings['output'],
  space: string,
): Sharp {
  if (space === 'cmyk' && format !== 'jpeg' && format !== 'tiff') {
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: 'colour.space',
      detail: `cmyk output needs JPEG or TIFF, not ${format.toUpperCase()}`,
    });
  }
  switch (format) {
    case 'jpeg':
      return img.jpeg({ quality: o.jpegQuality, chromaSubsampling: '4:2:0' });
    case 'png':
      return img.png({ compressionLevel: 6 });
    case 'tiff':
      return img.tiff({
        compression: o.tiffCompression === 'deflate' ? 'deflate' : o.tiffCompression,
        quality: o.jpegQuality,
      });
    case 'webp':
      return img.webp({ quality: o.webpQuality });
    case 'avif':
      return img.avif({ quality: o.avifQuality, effort: 4 });
  }
}

/** Fills the naming pattern: {name} is the input's name without extension, {ext} the output extension. */
export function outputName(pattern: string, inputStem: string, format: OutputFormat): string {
  return pattern.replace(/\{name\}/g, inputStem).replace(/\{ext\}/g, extensionOf(format));
}
