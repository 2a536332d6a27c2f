// Embedding libvips's sRGB profile in a JPEG without running a colour transform. Where the
// image is already sRGB, sharp's `withIccProfile('srgb')` is an identity transform through lcms
// (checked bit for bit on all 2^24 colours) that still costs ~25 ms CPU at 2000x1333; the
// encoder is given sRGB pixels instead, and the profile segment libvips would have written is
// inserted where libvips puts it: after the APP0, APP1 and APP13 segments (JFIF, EXIF, XMP,
// IPTC), before the tables.
import { sharp } from './sharp-door.js';

let segment: Promise<Buffer> | undefined;

/** Walks the JPEG header segments; calls `visit(offset, marker, length)` until it returns true. */
function findSegment(jpeg: Buffer, visit: (at: number, marker: number, length: number) => boolean): number {
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    const length = jpeg.readUInt16BE(at + 2);
    if (visit(at, marker, length)) return at;
    if (marker === 0xda) break;
    at += 2 + length;
  }
  throw new Error('not a JPEG with a readable header');
}

/** The APP2 ICC_PROFILE segment(s) libvips writes for its built-in sRGB profile, made once. */
export function srgbProfileSegment(): Promise<Buffer> {
  segment ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .withIccProfile('srgb')
    .jpeg()
    .toBuffer()
    .then((jpeg) => {
      const start = findSegment(jpeg, (_, marker) => marker === 0xe2);
      let end = start;
      while (jpeg[end + 1] === 0xe2) end += 2 + jpeg.readUInt16BE(end + 2);
      return Buffer.from(jpeg.subarray(start, end));
    });
  return segment;
}

/** Inserts the sRGB profile segment into a JPEG that carries no profile. Pure but for the one-off segment. */
export async function withSrgbProfile(jpeg: Buffer): Promise<Buffer> {
  const at = findSegment(jpeg, (_, marker) => {
    if (marker === 0xe2) throw new Error('the JPEG already carries an APP2 segment');
    return marker !== 0xe0 && marker !== 0xe1 && marker !== 0xed;
  });
  return Buffer.concat([jpeg.subarray(0, at), await srgbProfileSegment(), jpeg.subarray(at)]);
}
