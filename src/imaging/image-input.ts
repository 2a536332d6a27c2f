// Reading an input image: the bytes from a path or Buffer, the format decided by content
// (never the name), structural checks sharp does not make (PNG CRCs, JPEG end marker), the
// pixel limit, and sharp's header metadata. Every refusal is a typed error naming the file.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { DarkroomError } from '../errors/darkroom-error.js';
import { imageError } from './image-errors.js';
import { sharp, type Metadata } from './sharp-door.js';

export type InputFormat = 'jpeg' | 'png' | 'tiff' | 'webp' | 'heif' | 'gif';

export interface LoadedInput {
  readonly data: Buffer;
  /** The name used in messages: the path, or opts.fileName for a Buffer. */
  readonly file: string;
  readonly format: InputFormat;
  readonly meta: Metadata;
}

/** Formats recognised by signature but refused (vector, documents, formats sharp cannot read). */
function refusedFormat(b: Buffer): string | undefined {
  const head = b.subarray(0, 512).toString('latin1');
  if (head.startsWith('BM')) return 'BMP';
  if (head.startsWith('%PDF')) return 'PDF';
  if (head.startsWith('8BPS')) return 'Photoshop PSD';
  if (head.startsWith('\0\0\x01\0')) return 'ICO';
  if (head.startsWith('\xff\x0a') || head.slice(4, 8) === 'JXL ') return 'JPEG XL';
  if (head.slice(4, 8) === 'jP  ' || head.startsWith('\xff\x4f\xff\x51')) return 'JPEG 2000';
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head))
    return 'SVG';
  if (
    /^(II\*\0|MM\0\*)/.test(head) &&
    (head.slice(8, 11) === 'CR\u0002' || /IIRO|IIRS/.test(head.slice(8, 12)))
  ) {
    return 'camera raw';
  }
  return undefined;
}

/** The format by signature, or undefined when no accepted format matches. */
export function sniffFormat(b: Buffer): InputFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  const head = b.subarray(0, 16).toString('latin1');
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'tiff';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  if (head.slice(4, 8) === 'ftyp') return 'heif';
  return undefined;
}

function describeUnknown(b: Buffer): string {
  const sample = b.subarray(0, 256);
  const printable = sample.filter((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)).length;
  if (printable / sample.length > 0.95) return 'it looks like text';
  return `it starts with bytes ${[...b.subarray(0, 4)].map((c) => c.toString(16).padStart(2, '0')).join(' ')}`;
}

/** PNG: every chunk's CRC, and the closing IEND chunk (sharp reports both as a vague read error). */
function checkPng(b: Buffer, file: string): void {
  let at = 8;
  while (at + 8 <= b.length) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > b.length) {
      throw new DarkroomError('E_IMAGE_TRUNCATED', {
        file,
        detail: `PNG chunk ${type} at byte ${at} is cut off`,
      });
    }
    const expected = b.readUInt32BE(at + 8 + len);
    if (crc32(b.subarray(at + 4, at + 8 + len)) !== expected) {
      throw new DarkroomError('E_IMAGE_CHECKSUM', {
        file,
        detail: `PNG chunk ${type} at byte ${at} has a bad CRC`,
      });
    }
    if (type === 'IEND') return;
    at += 12 + len;
  }
  throw new DarkroomError('E_IMAGE_TRUNCATED', { file, detail: 'PNG ends before its IEND chunk' });
}

/**
 * JPEG: walks the header segments up to the first scan (a bad marker or length is corrupt,
 * data ending inside them is truncated), then requires the end marker near the end of the
 * file. Checked here because libvips's error text is shared between concurrent decodes.
 */
function checkJpeg(b: Buffer, file: string): void {
  const corrupt = (detail: string): DarkroomError => new DarkroomError('E_IMAGE_CORRUPT', { file, detail });
  const truncated = (detail: string): DarkroomError =>
    new DarkroomError('E_IMAGE_TRUNCATED', { file, detail });
  let at = 2;
  for (;;) {
    if (at >= b.length) throw truncated('JPEG data ends inside its header');
    if (b[at] !== 0xff) throw corrupt(`no JPEG marker at byte ${at}`);
    while (at + 1 < b.length && b[at + 1] === 0xff) at++;
    if (at + 1 >= b.length) throw truncated('JPEG data ends inside its header');
    const marker = b[at + 1]!;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker < 0xc0 || marker === 0xd8 || marker === 0xd9) {
      throw corrupt(`unexpected JPEG marker 0x${marker.toString(16)} at byte ${at}`);
    }
    if (at + 4 > b.length) throw truncated('JPEG data ends inside its header');
    const len = b.readUInt16BE(at + 2);
    if (len < 2) throw corrupt(`JPEG segment at byte ${at} has length ${len}`);
    if (at + 2 + len > b.length) throw truncated(`JPEG segment at byte ${at} is cut off`);
    if (marker === 0xda) break;
    at += 2 + len;
  }
  const tail = b.subarray(Math.max(0, b.length - 4096));
  if (tail.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0)
    throw truncated('JPEG data ends without its end marker');
}

async function readInputFile(path: string): Promise<Buffer> {
  try {
    const s = await stat(path);
    if (!s.isFile()) {
      throw new DarkroomError('E_IMAGE_NOT_A_FILE', {
        file: path,
        kind: s.isDirectory() ? 'folder' : 'special file',
      });
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof DarkroomError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new DarkroomError('E_IMAGE_MISSING', { file: path }, { cause: err });
    if (code === 'EISDIR')
      throw new DarkroomError('E_IMAGE_NOT_A_FILE', { file: path, kind: 'folder' }, { cause: err });
    const detail = err instanceof Error ? err.message : String(err);
    throw new DarkroomError('E_IMAGE_UNREADABLE', { file: path, detail }, { cause: err });
  }
}

/** The name an input goes by in messages and stamps. */
export function inputName(input: string | Buffer, fileName?: string): string {
  return fileName ?? (typeof input === 'string' ? input : '<buffer>');
}

/** Reads and checks an input; runs sharp on the libuv pool for the header only. */
export async function loadInput(
  input: string | Buffer,
  maxInputPixels: number,
  fileName?: string,
): Promise<LoadedInput> {
  const file = inputName(input, fileName);
  const data = typeof input === 'string' ? await readInputFile(input) : input;
  if (data.length === 0) throw new DarkroomError('E_IMAGE_EMPTY', { file });
  const refused = refusedFormat(data);
  if (refused !== undefined) throw new DarkroomError('E_IMAGE_UNSUPPORTED', { file, detail: refused });
  const format = sniffFormat(data);
  if (format === undefined)
    throw new DarkroomError('E_IMAGE_NOT_AN_IMAGE', { file, detail: describeUnknown(data) });
  if (format === 'png') checkPng(data, file);
  if (format === 'jpeg') checkJpeg(data, file);
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw imageError(err, file, 'read');
  }
  if (format === 'heif' && meta.compression !== 'av1') {
    throw new DarkroomError('E_IMAGE_UNSUPPORTED', {
      file,
      detail: `HEIF with ${meta.compression ?? 'unknown'} compression (only AVIF is read)`,
    });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0)
    throw new DarkroomError('E_IMAGE_CORRUPT', { file, detail: `declared size ${width}x${height}` });
  if (width * height > maxInputPixels) {
    throw new DarkroomError('E_IMAGE_TOO_LARGE', { file, width, height, limit: maxInputPixels });
  }
  return { data, file, format, meta };
}

/** Base name without extension, for output naming. */
export function stemOf(file: string): string {
  const b = basename(file);
  const dot = b.lastIndexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}
