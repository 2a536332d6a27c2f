// Number helpers of the pure planning code (corrections.ts, cast-correction.ts).

/** Rounded to 3 decimals: plans are JSON kept with the job, and stable across runs. */
export const r3 = (v: number): number => Number(v.toFixed(3));

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
