// Assigning (not converting to) an ICC profile to an input that has none, so that sharp's
// usual "embedded profile -> sRGB" conversion applies the assumed input profile. JPEG and PNG
// get the profile spliced into their container (no re-encoding); other formats go through a
// lossless PNG first.
import { crc32, deflateSync } from 'node:zlib';
import { sharp } from './sharp-door.js';
import type { InputFormat } from './image-input.js';

const iccMarker = Buffer.from('ICC_PROFILE\0', 'latin1');

/** JPEG: APP2 ICC_PROFILE segments (64 KB each) right after SOI. */
export function spliceJpegProfile(jpeg: Buffer, icc: Buffer): Buffer {
  const chunk = 65519;
  const count = Math.ceil(icc.length / chunk);
  const segments: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = icc.subarray(i * chunk, (i + 1) * chunk);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + iccMarker.length + 2 + part.length, 2);
    segments.push(head, iccMarker, Buffer.from([i + 1, count]), part);
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

/** PNG: an iCCP chunk right after IHDR (which is always the first chunk, 25 bytes after the signature). */
export function splicePngProfile(png: Buffer, icc: Buffer): Buffer {
  const data = Buffer.concat([Buffer.from('ICC profile\0\0', 'latin1'), deflateSync(icc)]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('iCCP', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const ihdrEnd = 8 + 25;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** Returns input bytes that carry `icc` as their embedded profile. Runs sharp on the libuv pool for formats other than JPEG and PNG. */
export async function assignProfile(data: Buffer, format: InputFormat, icc: Buffer): Promise<Buffer> {
  if (format === 'jpeg') return spliceJpegProfile(data, icc);
  if (format === 'png') return splicePngProfile(data, icc);
  const png = await sharp(data, { failOn: 'warning', limitInputPixels: false })
    .keepExif()
    .keepXmp()
    .png({ compressionLevel: 1 })
    .toBuffer();
  return splicePngProfile(png, icc);
}
