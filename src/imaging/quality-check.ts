// The quality check of an original: a verdict per aspect (colour balance, brightness,
// sharpness, noise) at the channel's strictness, plus "no embedded profile" and "CMYK
// original". Pure; the channel's workflow decides what a rejection means.
import type { Analysis } from './analysis.js';
import type { PipelineSettings } from './pipeline-settings.js';

type Strictness = PipelineSettings['quality']['brightness'];
export type QualityAspect =
  'colourBalance' | 'brightness' | 'sharpness' | 'noise' | 'noProfile' | 'cmykOriginal';

export interface AspectVerdict {
  readonly aspect: QualityAspect;
  readonly pass: boolean;
  readonly strictness: Strictness | 'on' | 'off';
  /** What was measured, and the limit it was held against (undefined when off). */
  readonly value: number | boolean;
  readonly limit?: number;
  readonly reason: string;
}

export interface QualityVerdict {
  readonly pass: boolean;
  readonly aspects: readonly AspectVerdict[];
  /** The failing aspects in words, for E_QUALITY_REJECTED. */
  readonly reasons: readonly string[];
}

/** Limits per strictness: [flexible, default, strict]. "Over" means a larger value is worse. */
const limits = {
  colourBalance: { over: true, by: [22, 14, 8], unit: 'delta E cast' },
  brightness: { over: true, by: [0.3, 0.22, 0.14], unit: 'away from the target luminance' },
  sharpness: { over: false, by: [0.25, 0.4, 0.7], unit: 'sharpness' },
  noise: { over: true, by: [12, 8, 5], unit: 'noise sigma' },
} as const;

const index = { flexible: 0, default: 1, strict: 2 } as const;

function judge(aspect: keyof typeof limits, strictness: Strictness, value: number): AspectVerdict {
  if (strictness === 'off') return { aspect, pass: true, strictness, value, reason: 'not checked' };
  const spec = limits[aspect];
  const limit = spec.by[index[strictness]];
  const pass = spec.over ? value <= limit : value >= limit;
  const word = spec.over ? (pass ? 'within' : 'over') : pass ? 'above' : 'below';
  return { aspect, pass, strictness, value, limit, reason: `${value} ${spec.unit}, ${word} ${limit}` };
}

export function checkQuality(
  a: Analysis,
  q: PipelineSettings['quality'],
  exposureTarget: number,
): QualityVerdict {
  const aspects: AspectVerdict[] = [
    judge('colourBalance', q.colourBalance, a.cast.magnitude),
    judge('brightness', q.brightness, Number(Math.abs(a.meanLuminance - exposureTarget).toFixed(4))),
    judge('sharpness', q.sharpness, a.sharpness),
    judge('noise', q.noise, a.noise),
    {
      aspect: 'noProfile',
      pass: !(q.rejectNoProfile && !a.hasProfile),
      strictness: q.rejectNoProfile ? 'on' : 'off',
      value: !a.hasProfile,
      reason: a.hasProfile ? 'has an embedded profile' : 'no embedded profile',
    },
    {
      aspect: 'cmykOriginal',
      pass: !(q.rejectCmyk && a.isCmyk),
      strictness: q.rejectCmyk ? 'on' : 'off',
      value: a.isCmyk,
      reason: a.isCmyk ? 'CMYK original' : 'not CMYK',
    },
  ];
  const failing = aspects.filter((v) => !v.pass);
  return { pass: failing.length === 0, aspects, reasons: failing.map((v) => `${v.aspect}: ${v.reason}`) };
}
