// Decoding the input once when the output is smaller. The plain path decodes twice: a shrunk
// copy for the analysis, then the whole image again in the main pass (~70 ms CPU of Huffman
// decoding at 24 MP). Here the input is decoded, oriented and resized to the output size once,
// into a temporary libvips-format (.v) file that keeps the pixels and every metadata item (EXIF,
// XMP, IPTC, density) exactly as the plain pass would hold them at that point; the analysis copy
// is made from it and the main pass (corrections, colour out, encoder) starts from it.
// Touches: one file per job in a private folder under the OS temp folder, removed after the job.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysisLongSide, analyzePixels, type Analysis, type AnalysisDetail } from './analysis.js';
import type { ResizePlan } from './geometry.js';
import { imageError } from './image-errors.js';
import type { LoadedInput } from './image-input.js';
import { keepIptc, sharp, type Sharp } from './sharp-door.js';

/** The input's size after EXIF orientation. */
export function orientedSize(loaded: LoadedInput): { width: number; height: number } {
  const { meta } = loaded;
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  return (meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * Whether the input may be decoded once at output size. Only where the main pass then gives
 * what the plain path gives: the output is at least twice the analysis copy's size (so the copy
 * is still made by shrinking), and the input is 8-bit sRGB with 3 channels and one page (no
 * alpha, grey, CMYK or 16-bit input, which take their own conversions).
 */
export function decodesOnce(loaded: LoadedInput, geometry: ResizePlan): boolean {
  const { meta } = loaded;
  const { width, height } = orientedSize(loaded);
  return (
    geometry.resize !== undefined &&
    geometry.width * geometry.height < width * height &&
    Math.max(geometry.width, geometry.height) >= 2 * analysisLongSide &&
    meta.depth === 'uchar' &&
    meta.space === 'srgb' &&
    meta.channels === 3 &&
    !meta.hasAlpha &&
    (meta.pages ?? 1) === 1
  );
}

let folder: Promise<string> | undefined;
let counter = 0;

/** A fresh file name in this process's private temp folder (created once). */
async function tempFile(): Promise<string> {
  folder ??= mkdtemp(join(tmpdir(), 'darkroom-resized-'));
  return join(await folder, `${++counter}.v`);
}

/** The decoded, resized input: open it with `sharp()`; `dispose()` removes the file. */
export interface ResizedInput {
  readonly path: string;
  sharp(): Sharp;
  dispose(): Promise<void>;
}

/**
 * Decodes, orients and resizes with the plain pass's own calls (so JPEG shrink-on-load and the
 * embedded profile's conversion to sRGB happen as there) and writes the result, EXIF, XMP and
 * IPTC kept (the main pass decides what reaches the output), to a temporary .v file.
 * Runs sharp on the libuv pool.
 */
export async function decodeResized(
  loaded: LoadedInput,
  decodable: Buffer,
  resize: NonNullable<ResizePlan['resize']>,
): Promise<ResizedInput> {
  const path = await tempFile();
  const dispose = (): Promise<void> => rm(path, { force: true });
  try {
    const img = sharp(decodable, { failOn: 'warning', limitInputPixels: false })
      .autoOrient()
      .resize(resize)
      .keepExif()
      .keepXmp();
    await keepIptc(img).toFile(path);
  } catch (err) {
    await dispose();
    throw imageError(err, loaded.file, 'read');
  }
  return {
    path,
    sharp: () => sharp(path, { failOn: 'warning', limitInputPixels: false }),
    dispose,
  };
}

/**
 * The analysis on a copy of at most 512 px made from the resized image. The plain path's copy
 * comes from JPEG shrink-on-load (a block average, 750 px for a 24 MP input) and then lanczos3;
 * cubic to 1.5 x 512 px and then lanczos3 gives nearly the same copy (the sharpness and noise
 * measures depend on how it was resampled). Runs sharp on the libuv pool, then the analysis in JS.
 */
export async function analyzeResized(
  loaded: LoadedInput,
  resized: ResizedInput,
): Promise<{ analysis: Analysis; detail: AnalysisDetail }> {
  const inside = { fit: 'inside', withoutEnlargement: true } as const;
  const between = Math.round(1.5 * analysisLongSide);
  let copy: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const mid = await resized
      .sharp()
      .resize(between, between, { ...inside, kernel: 'cubic' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = mid.info;
    if (channels !== 3) throw new Error(`the resized input has ${channels} channels, expected 3`);
    copy = await sharp(mid.data, { raw: { width, height, channels } })
      .resize(analysisLongSide, analysisLongSide, inside)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw imageError(err, loaded.file, 'read');
  }
  const { meta } = loaded;
  const result = analyzePixels(copy.data, copy.info.width, copy.info.height, {
    format: loaded.format,
    ...orientedSize(loaded),
    space: meta.space ?? 'unknown',
    isCmyk: false,
    isGray: false,
    hasAlpha: false,
    hasProfile: meta.hasProfile ?? false,
    orientation: meta.orientation ?? 1,
  });
  return {
    ...result,
    detail: { ...result.detail, copy: { data: copy.data, width: copy.info.width, height: copy.info.height } },
  };
}

/** This process's temporary folder, once one was made (for tests and `doctor`-style checks). */
export async function resizedTempFolder(): Promise<string | undefined> {
  return folder === undefined ? undefined : await folder;
}
