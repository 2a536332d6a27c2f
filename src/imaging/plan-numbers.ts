// Number helpers of the analysis and of the pure planning code: rounding keeps the JSON kept
// with the job short and stable.

/** Rounded to 3 decimals: plans are JSON kept with the job, and stable across runs. */
export const r3 = (v: number): number => Number(v.toFixed(3));

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** `v` rounded to `digits` decimals. */
export const round = (v: number, digits: number): number => Number(v.toFixed(digits));
