// Sharpness and noise of the analysis copy's grey image.
import { round } from './plan-numbers.js';

/** Side of the blocks the noise is measured in, and the share of blocks (the quietest) it is read from. */
const noiseBlock = 16;
const noiseQuantile = 1 / 3;

/**
 * Sharpness (Laplacian over gradient energy) and Immerkaer noise sigma on the grey copy. The
 * noise is Immerkaer's estimate per 16 x 16 block, read at the quietest third of the blocks:
 * texture (foliage, fur, wood grain) raises the blocks it fills, noise raises them all, so
 * texture has to fill two thirds of the frame to be taken for noise. Pure noise reads about
 * 10 % below the whole-image estimate; fewer than 12 blocks fall back to the whole image.
 */
export function sharpnessAndNoise(
  grey: Float32Array,
  w: number,
  h: number,
): { sharpness: number; noise: number } {
  let lap2 = 0;
  let grad2 = 0;
  let immerkaer = 0;
  const bw = Math.floor(w / noiseBlock);
  const bh = Math.floor(h / noiseBlock);
  const blockSum = new Float64Array(bw * bh);
  // Columns past the last whole block belong to none.
  const xEnd = Math.min(w - 1, bw * noiseBlock);
  for (let y = 1; y < h - 1; y++) {
    const by = Math.floor(y / noiseBlock);
    const inBlocks = by < bh;
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const c = grey[i]!;
      const l = grey[i - 1]!;
      const r = grey[i + 1]!;
      const u = grey[i - w]!;
      const d = grey[i + w]!;
      const lap = l + r + u + d - 4 * c;
      lap2 += lap * lap;
      grad2 += ((r - l) / 2) ** 2 + ((d - u) / 2) ** 2;
      const diag = grey[i - w - 1]! + grey[i - w + 1]! + grey[i + w - 1]! + grey[i + w + 1]!;
      const response = Math.abs(diag - 2 * (l + r + u + d) + 4 * c);
      immerkaer += response;
      if (inBlocks && x < xEnd) {
        blockSum[by * bw + (x >> 4)]! += response;
      }
    }
  }
  const inner = Math.max(1, (w - 2) * (h - 2));
  const sigma = (sum: number, count: number): number => (Math.sqrt(Math.PI / 2) * sum) / (6 * count);
  let noise = sigma(immerkaer, inner);
  if (bw * bh >= 12) {
    // Inner pixels (1..w-2, 1..h-2) per block, counted instead of incremented per pixel.
    const inside = (b: number, size: number): number =>
      Math.max(0, Math.min(size - 2, b * noiseBlock + noiseBlock - 1) - Math.max(1, b * noiseBlock) + 1);
    const blocks = new Float64Array(bw * bh);
    for (let k = 0; k < blocks.length; k++) {
      const count = inside(k % bw, w) * inside(Math.floor(k / bw), h);
      blocks[k] = sigma(blockSum[k]!, Math.max(1, count));
    }
    blocks.sort();
    noise = blocks[Math.floor((blocks.length - 1) * noiseQuantile)]!;
  }
  return {
    sharpness: grad2 === 0 ? 0 : round(lap2 / grad2, 4),
    noise: round(noise, 3),
  };
}
