// The one door to sharp (libvips): every imaging module imports sharp from here, so its
// process-wide settings are made once: two worker threads per image and a small operation
// cache that never holds files open (hotfolder files are moved and replaced under us).
import sharp, { type Sharp } from 'sharp';

sharp.concurrency(2);
sharp.cache({ memory: 64, files: 0, items: 50 });

/** Sets the private IPTC keep bit: sharp 0.35 keeps IPTC only through keepMetadata(), which also keeps the ICC. */
export function keepIptc(img: Sharp): Sharp {
  const o = (img as unknown as { options?: { keepMetadata?: unknown } }).options;
  if (o !== undefined && typeof o.keepMetadata === 'number') o.keepMetadata |= 0b00100;
  return img;
}

export { sharp };
export type { Sharp, Metadata, OutputInfo } from 'sharp';
