// Lookup tables of the analysis's log chromaticity (u = ln R/G, v = ln B/G of linear light),
// shared by the single pixel pass (analysis.ts) and the cast cues (cast-estimate.ts).
import { srgbToLinear } from './colour-math.js';

/** Log-chromaticity histogram: u = ln(R/G), v = ln(B/G) in linear light, bins of 0.02 over +-1.2. */
export const uvRange = 60;
export const uvSize = 2 * uvRange + 1;
export const uvCells = uvSize * uvSize;
export const uvBin = 0.02;
/** Prior on the cast: a shift of 0.4 in log chromaticity (a strong tungsten cast) is one sigma. */
export const castPriorSigma = 0.4;
/** ln of linear light per 8-bit value (values below 16 are never looked up). */
export const logLinear = Float64Array.from(srgbToLinear, (v) => Math.log(Math.max(v, 1e-6)));

/**
 * Tables over every pair of 8-bit values (index a * 256 + g), so the per-pixel loops look up
 * instead of computing: ln(lin a) - ln(lin g) (exactly the difference the loops computed), the
 * same as float32 (the precision the neutral refinement keeps per pixel) and its histogram bin
 * (round(u / 0.02) + 60). 65,536 entries each, built once per process.
 */
export const logRatio = new Float64Array(65536);
export const logRatio32 = new Float32Array(65536);
export const logRatioBin = new Int16Array(65536);
for (let a = 0; a < 256; a++) {
  for (let g = 0; g < 256; g++) {
    const u = logLinear[a]! - logLinear[g]!;
    logRatio[a * 256 + g] = u;
    logRatio32[a * 256 + g] = u;
    logRatioBin[a * 256 + g] = Math.round(u / uvBin) + uvRange;
  }
}

/** The prior's weight per histogram cell (the Gaussian on the shift), computed once. */
export const castPrior = new Float64Array(uvCells);
for (let y = 0; y < uvSize; y++) {
  for (let x = 0; x < uvSize; x++) {
    const u = (x - uvRange) * uvBin;
    const v = (y - uvRange) * uvBin;
    castPrior[y * uvSize + x] = Math.exp(-(u * u + v * v) / (2 * castPriorSigma * castPriorSigma));
  }
}
