// Decoding the input once when the output is smaller. The plain path decodes twice: a shrunk
// copy for the analysis, then the whole image again in the main pass (~70 ms CPU of Huffman
// decoding at 24 MP). Here the input is decoded, oriented and resized to the output size once,
// into a temporary libvips-format (.v) file that keeps the pixels and every metadata item (EXIF,
// XMP, IPTC, density) exactly as the plain pass would hold them at that point; the analysis copy
// is made from it and the main pass (corrections, colour out, encoder) starts from it.
// Touches: one file per job in a private folder (mkdtemp) under the OS temp folder; the file goes
// after the job, the folder after the last job using it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysisLongSide, type Analysis, type AnalysisDetail } from './analysis.js';
import { analyzeOffThread } from './analysis-thread.js';
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
 * Whether the input may be decoded once. Only where the main pass then gives what the plain path
 * gives, and the input is 8-bit sRGB with 3 channels and one page (no alpha, grey, CMYK or 16-bit
 * input, which take their own conversions). Two cases: a shrinking resize to at least twice the
 * analysis copy's size (the copy is still made by shrinking: "at output size"), or a small photo
 * kept at its size, less than twice the copy's long side: there no decoder shrinks on load (JPEG
 * and WebP only shrink by 2 or more), so the plain copy is lanczos3 from the full decode, which
 * the copy from the decoded file repeats exactly ("at full size"; not for a photo EXIF turns, whose
 * plain copy differs in the last digits).
 */
export function decodesOnce(loaded: LoadedInput, geometry: ResizePlan): boolean {
  const { meta } = loaded;
  const { width, height } = orientedSize(loaded);
  const atOutputSize =
    geometry.resize !== undefined &&
    geometry.width * geometry.height < width * height &&
    Math.max(geometry.width, geometry.height) >= 2 * analysisLongSide;
  // Not for a photo EXIF turns: the plain path's copy of it differs in the last digits.
  const atFullSize =
    geometry.resize === undefined &&
    Math.max(width, height) < 2 * analysisLongSide &&
    (meta.orientation ?? 1) === 1;
  return (
    (atOutputSize || atFullSize) &&
    meta.depth === 'uchar' &&
    meta.space === 'srgb' &&
    meta.channels === 3 &&
    !meta.hasAlpha &&
    (meta.pages ?? 1) === 1
  );
}

/** The private temp folder while jobs use it, and how many do: made for the first, removed after the last. */
let folder: Promise<string> | undefined;
let users = 0;
let counter = 0;

/** A file name in the folder, and its release; undefined when the temp folder cannot be made. */
async function acquireFile(): Promise<{ path: string; release: () => Promise<void> } | undefined> {
  users++;
  folder ??= mkdtemp(join(tmpdir(), 'darkroom-resized-'));
  const mine = folder;
  let released = false;
  const release = async (file?: string): Promise<void> => {
    if (released) return;
    released = true;
    if (--users === 0 && folder === mine) {
      folder = undefined;
      await rm(await mine, { recursive: true, force: true });
    } else if (file !== undefined) await rm(file, { force: true });
  };
  let dir: string;
  try {
    dir = await mine;
  } catch {
    await release().catch(() => undefined);
    return undefined;
  }
  const path = join(dir, `${++counter}.v`);
  return { path, release: () => release(path) };
}

/** The decoded, resized input: open it with `sharp()`; `dispose()` removes the file. */
export interface ResizedInput {
  readonly path: string;
  /** Decoded at the input's own size (no resize planned): the analysis copy is made as on the plain path. */
  readonly fullSize: boolean;
  sharp(): Sharp;
  dispose(): Promise<void>;
}

/**
 * Decodes, orients and resizes (when `resize` is given) with the plain pass's own calls (so JPEG
 * shrink-on-load and the embedded profile's conversion to sRGB happen as there) and writes the
 * result, EXIF, XMP and IPTC kept (the main pass decides what reaches the output), to a temporary
 * .v file; undefined when no temporary folder can be made (the caller takes the plain path). Runs
 * sharp on the libuv pool.
 */
export async function decodeResized(
  loaded: LoadedInput,
  decodable: Buffer,
  resize: ResizePlan['resize'],
): Promise<ResizedInput | undefined> {
  const file = await acquireFile();
  if (file === undefined) return undefined;
  const { path, release: dispose } = file;
  try {
    let img = sharp(decodable, { failOn: 'warning', limitInputPixels: false }).autoOrient();
    if (resize !== undefined) img = img.resize(resize);
    await keepIptc(img.keepExif().keepXmp()).toFile(path);
  } catch (err) {
    await dispose();
    throw imageError(err, loaded.file, 'read');
  }
  return {
    path,
    fullSize: resize === undefined,
    sharp: () => sharp(path, { failOn: 'warning', limitInputPixels: false }),
    dispose,
  };
}

/**
 * The analysis on a copy of at most 512 px made from the resized image. The plain path's copy
 * comes from JPEG shrink-on-load (a block average, 750 px for a 24 MP input) and then lanczos3;
 * cubic to 1.5 x 512 px and then lanczos3 gives nearly the same copy (the sharpness and noise
 * measures depend on how it was resampled). At full size (a small photo) the copy is lanczos3
 * from the decoded pixels, as on the plain path: the same copy. Runs sharp on the libuv pool,
 * then the analysis in JS on a worker thread (analysis-thread.ts).
 */
export async function analyzeResized(
  loaded: LoadedInput,
  resized: ResizedInput,
): Promise<{ analysis: Analysis; detail: AnalysisDetail }> {
  const inside = { fit: 'inside', withoutEnlargement: true } as const;
  let copy: RawCopy;
  try {
    if (resized.fullSize) {
      copy = await resized
        .sharp()
        .resize(analysisLongSide, analysisLongSide, inside)
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (copy.info.channels !== 3)
        throw new Error(`the decoded input has ${copy.info.channels} channels, expected 3`);
    } else {
      copy = await atOutputSizeCopy(resized, inside);
    }
  } catch (err) {
    throw imageError(err, loaded.file, 'read');
  }
  const { meta } = loaded;
  const result = await analyzeOffThread(copy.data, copy.info.width, copy.info.height, {
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

type RawCopy = { data: Buffer; info: { width: number; height: number; channels: number } };

/** Cubic to 1.5 x 512 px, then lanczos3 to 512 px. */
async function atOutputSizeCopy(
  resized: ResizedInput,
  inside: { fit: 'inside'; withoutEnlargement: true },
): Promise<RawCopy> {
  const between = Math.round(1.5 * analysisLongSide);
  const mid = await resized
    .sharp()
    .resize(between, between, { ...inside, kernel: 'cubic' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = mid.info;
  if (channels !== 3) throw new Error(`the resized input has ${channels} channels, expected 3`);
  return sharp(mid.data, { raw: { width, height, channels } })
    .resize(analysisLongSide, analysisLongSide, inside)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

/** The private temporary folder while a job uses it, else undefined (for tests). */
export async function resizedTempFolder(): Promise<string | undefined> {
  return folder === undefined ? undefined : await folder;
}
