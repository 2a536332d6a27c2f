// The one door to sharp (libvips): every imaging module imports sharp from here, so its
// process-wide settings are made once: two worker threads per image and a small operation
// cache that never holds files open (hotfolder files are moved and replaced under us).
import sharp from 'sharp';

sharp.concurrency(2);
sharp.cache({ memory: 64, files: 0, items: 50 });

export { sharp };
export type { Sharp, Metadata, OutputInfo } from 'sharp';
