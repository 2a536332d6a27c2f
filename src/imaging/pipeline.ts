// The image pipeline: read and check the input, analyse it, plan the corrections, then one
// sharp pass (orient, resize, denoise, cast, saturation, sharpen, exposure, levels, colour
// out, metadata, encode), previews and the quality verdict. Deterministic: same input and
// settings give identical bytes. Runs sharp on the libuv pool; never blocks for long.
import { performance } from 'node:perf_hooks';
import { rm } from 'node:fs/promises';
import { analyzeLoaded, type Analysis, type AnalysisDetail } from './analysis.js';
import { assignProfile } from './assign-profile.js';
import { curvedVipsFile } from './channel-curves.js';
import { planCorrections, type Corrections } from './corrections.js';
import { planGeometry, type ResizePlan } from './geometry.js';
import { assumedProfileBytes, checkProfileFile, profileFile } from './icc-profile.js';
import { imageError } from './image-errors.js';
import { loadInput, type LoadedInput } from './image-input.js';
import { applyEncoder, resolveFormat, type OutputFormat, type RequestedFormat } from './output-format.js';
import type { PipelineSettings } from './pipeline-settings.js';
import { makePreviews, type Previews } from './previews.js';
import {
  analyzeResized,
  decodeResized,
  decodesOnce,
  orientedSize,
  type ResizedInput,
} from './resized-input.js';
import { emptyXmpPacket, iptcDescription, withIptcXmp, type IptcXmpFields } from './iptc-xmp.js';
import { parseStamp, settingsHash, stampXmp, type ProcessingStamp } from './processing-stamp.js';
import { checkQuality, type QualityVerdict } from './quality-check.js';
import { keepIptc, sharp, type Sharp } from './sharp-door.js';
import { withSrgbProfile } from './srgb-segment.js';

export interface PipelineOptions {
  /** Name used in messages and stamps when the input is a Buffer. */
  fileName?: string;
  /** Overrides settings.output.format (the CLI passes the output's extension). */
  outputFormat?: RequestedFormat;
  /** Extra fields for the processing stamp, e.g. { channel, jobId }. JSON-safe. */
  stamp?: Record<string, unknown>;
  /** IPTC fields (job ticket) written into the output's XMP as IPTC Core properties. */
  iptc?: IptcXmpFields;
  /**
   * false: always decode twice (analysis copy from the input, then the main pass), even where
   * the input could be decoded once at output size (resized-input.ts). For comparisons.
   */
  decodeOnce?: boolean;
  /**
   * true: make the before/after previews (settings.previews: on, and their size). Nobody in
   * darkroom keeps them — a hotfolder or upload job stores only the output, the Inspector makes
   * its own from the files on demand, `darkroom process` writes only the output — so they are
   * made only when a caller asks (~10-16 ms CPU per image). Default false.
   */
  previews?: boolean;
}

export interface PipelineResult {
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  /** Output colour space: srgb, adobergb, gray or cmyk. */
  space: string;
  channels: number;
  analysis: Analysis;
  corrections: Corrections;
  geometry: ResizePlan;
  verdict: QualityVerdict;
  stamp?: ProcessingStamp;
  /** The stamp the input already carried: it was processed by darkroom before. */
  previousStamp?: ProcessingStamp;
  previews?: Previews;
  timingsMs: Record<string, number>;
}

/** The enhancement steps that change pixels, in pipeline order. */
function stepsOf(c: Corrections): string[] {
  return (['noiseReduction', 'saturation', 'sharpen', 'exposure', 'cast', 'contrast'] as const).filter(
    (k) => c[k].applied,
  );
}

/**
 * Brightening, x^(1/gammaOut) after the resize and the other steps. sharp's gamma(1, gOut) also
 * sets the pre-resize exponent to 1: an identity pass at full resolution that turns off JPEG
 * shrink-on-load (+100 ms CPU at 24 MP). The public call validates, then the pre-resize exponent
 * is cleared in sharp's options (0 = none; sharp 0.35 reads `gamma` and `gammaOut` separately).
 */
function brighten(img: Sharp, gammaOut: number): Sharp {
  img = img.gamma(1, gammaOut);
  const o = (img as unknown as { options?: { gamma?: unknown; gammaOut?: unknown } }).options;
  if (o !== undefined && o.gamma === 1 && o.gammaOut === gammaOut) o.gamma = 0;
  return img;
}

/**
 * Adds the planned corrections to a sharp instance. sharp applies them in its own order:
 * median or blur (noise reduction), modulate, sharpen, gamma, then linear. The cast gains ride in the final per-channel
 * linear step together with the levels (raised to the exposure exponent, since they act after
 * it); recomb is not used because its float output breaks the gamma step that follows.
 */
export function applyCorrections(img: Sharp, c: Corrections): Sharp {
  const nr = c.noiseReduction;
  if (nr.applied) img = nr.blur > 0 ? img.blur(nr.blur) : img.median(nr.median);
  if (c.saturation.applied) img = img.modulate({ saturation: c.saturation.factor });
  if (c.sharpen.applied)
    img = img.sharpen({ sigma: c.sharpen.sigma, m1: c.sharpen.flat, m2: c.sharpen.jagged });
  const e = c.exposure.exponent;
  if (c.exposure.applied) {
    // sharp: gamma(g, gOut) computes x^g before resizing and x^(1/gOut) after the other steps.
    img = e < 1 ? brighten(img, Math.min(3, 1 / e)) : img.gamma(Math.min(3, e), 1);
  }
  if (c.cast.applied || c.contrast.applied || c.exposure.gain !== 1) {
    const k = c.exposure.gain;
    const gains = c.cast.gains.map((g, i) => c.contrast.scales[i]! * k * g ** e);
    img = img.linear(gains, [...c.contrast.offsets]);
  }
  return img;
}

async function outputProfile(colour: PipelineSettings['colour']): Promise<string | undefined> {
  switch (colour.space) {
    case 'srgb':
      return 'srgb';
    case 'adobergb':
      return profileFile('adobergb');
    case 'gray':
      return undefined;
    case 'cmyk':
      if (colour.cmykProfile === 'builtin') return 'cmyk';
      return (await checkProfileFile(colour.cmykProfile, 'colour.cmykProfile', 'CMYK')).path;
  }
}

async function colourOut(img: Sharp, s: PipelineSettings, profile: string | undefined): Promise<Sharp> {
  const attach = s.colour.embedProfile;
  if (s.colour.space === 'gray') {
    img = img.toColourspace('b-w');
    return attach ? img.withIccProfile(await profileFile('gray'), { attach: true }) : img;
  }
  if (profile === 'srgb' && !attach) return img.toColourspace('srgb');
  if (s.colour.space === 'cmyk') img = img.toColourspace('cmyk');
  return img.withIccProfile(profile!, { attach });
}

/**
 * 16-bit inputs become 8-bit first (a lossless PNG keeping EXIF, XMP and the profile; IPTC is
 * lost): sharp treats untagged 16-bit RGB as Display P3 when converting to the output profile
 * (3.9 delta E off), and the planned levels are in 8-bit units. Outputs are 8-bit anyway.
 */
async function eightBit(data: Buffer, space: string): Promise<Buffer> {
  return sharp(data, { failOn: 'warning', limitInputPixels: false })
    .keepMetadata()
    .toColourspace(space === 'grey16' ? 'b-w' : 'srgb')
    .png({ compressionLevel: 1 })
    .toBuffer();
}

type Encoded = { data: Buffer; info: { width: number; height: number; channels: number } };

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

/** Reads and checks the input; 16-bit to 8-bit and the assumed profile assigned where needed. */
async function readInput(
  input: string | Buffer,
  settings: PipelineSettings,
  opts: PipelineOptions,
  timingsMs: Record<string, number>,
): Promise<{ loaded: LoadedInput; decodable: Buffer; format: OutputFormat; profile: string | undefined }> {
  const t = performance.now();
  const loaded: LoadedInput = await loadInput(input, settings.input.maxInputPixels, opts.fileName);
  const format = resolveFormat(opts.outputFormat ?? settings.output.format, loaded.format);
  const profile = await outputProfile(settings.colour);
  let decodable = loaded.data;
  let decodableFormat = loaded.format;
  const assumed = await assumedProfileBytes(settings.input.assumedProfile);
  const rgbInput = loaded.meta.space === 'srgb' || loaded.meta.space === 'rgb16';
  try {
    if (loaded.meta.depth === 'ushort' && (loaded.meta.space === 'rgb16' || loaded.meta.space === 'grey16')) {
      decodable = await eightBit(loaded.data, loaded.meta.space);
      decodableFormat = 'png';
    }
    if (assumed !== undefined && !loaded.meta.hasProfile && rgbInput) {
      decodable = await assignProfile(decodable, decodableFormat, assumed);
    }
  } catch (err) {
    throw imageError(err, loaded.file, 'read');
  }
  timingsMs['read'] = ms(t);
  return { loaded, decodable, format, profile };
}

/**
 * Analysis, plan and main pass. Where the input is decoded once at output size
 * (resized-input.ts), its temporary file lives until the main pass is done.
 */
async function analyseAndProcess(
  loaded: LoadedInput,
  decodable: Buffer,
  settings: PipelineSettings,
  opts: PipelineOptions,
  out: { format: OutputFormat; profile: string | undefined },
  timingsMs: Record<string, number>,
): Promise<{
  analysis: Analysis;
  detail: AnalysisDetail;
  geometry: ResizePlan;
  corrections: Corrections;
  verdict: QualityVerdict;
  result: Encoded;
  stamp: ProcessingStamp | undefined;
}> {
  const { format, profile } = out;
  let t = performance.now();
  const oriented = orientedSize(loaded);
  const planned = planGeometry(settings.geometry, oriented.width, oriented.height);
  let resized: ResizedInput | undefined;
  if (opts.decodeOnce !== false && decodesOnce(loaded, planned)) {
    resized = await decodeResized(loaded, decodable, planned.resize);
    if (resized !== undefined) {
      timingsMs['decode'] = ms(t);
      t = performance.now();
    }
  }
  let curved: string | undefined;
  try {
    const { analysis, detail } =
      resized !== undefined ? await analyzeResized(loaded, resized) : await analyzeLoaded(loaded, decodable);
    const geometry = planGeometry(settings.geometry, analysis.width, analysis.height);
    const corrections = planCorrections(
      analysis,
      detail,
      settings.enhancement,
      Math.max(geometry.width, geometry.height),
      Math.max(analysis.width, analysis.height),
      { curves: resized !== undefined },
    );
    const verdict = checkQuality(analysis, settings.quality, settings.enhancement.exposure.target);
    timingsMs['analysis'] = ms(t);

    t = performance.now();
    let source: Sharp;
    if (resized !== undefined && corrections.curves?.applied) {
      // Per-channel curves (channel-curves.ts): one table pass over the decoded pixels.
      curved = `${resized.path}.curves.v`;
      await curvedVipsFile(resized.path, corrections.curves.exponents, curved);
      source = sharp(curved, { failOn: 'warning', limitInputPixels: false });
    } else if (resized !== undefined) source = resized.sharp();
    else {
      source = sharp(decodable, { failOn: 'warning', limitInputPixels: false }).autoOrient();
      if (geometry.resize !== undefined) source = source.resize(geometry.resize);
    }
    const { result, stamp } = await mainPass(source, loaded, settings, opts, {
      corrections,
      geometry,
      format,
      profile,
      decodedOnce: resized !== undefined,
    });
    timingsMs['process'] = ms(t);
    return { analysis, detail, geometry, corrections, verdict, result, stamp };
  } finally {
    if (curved !== undefined) await rm(curved, { force: true });
    await resized?.dispose();
  }
}

/** The corrections, colour out, metadata and encoder on the oriented, resized image. */
async function mainPass(
  source: Sharp,
  loaded: LoadedInput,
  settings: PipelineSettings,
  opts: PipelineOptions,
  plan: {
    corrections: Corrections;
    geometry: ResizePlan;
    format: OutputFormat;
    profile: string | undefined;
    /** The source is the resized input (resized-input.ts): sRGB, no profile attached. */
    decodedOnce: boolean;
  },
): Promise<{ result: Encoded; stamp: ProcessingStamp | undefined }> {
  const { corrections, geometry } = plan;
  let img = applyCorrections(source, corrections);
  // The resized input is sRGB without a profile attached: sRGB out is an identity transform.
  const spliceSrgb =
    plan.decodedOnce && plan.profile === 'srgb' && settings.colour.embedProfile && plan.format === 'jpeg';
  img = spliceSrgb ? img.toColourspace('srgb') : await colourOut(img, settings, plan.profile);
  if (geometry.density !== undefined) img = img.withDensity(geometry.density);
  const out = settings.output;
  if (out.keepExif) img = img.keepExif();
  if (out.keepIptc) img = keepIptc(img);
  let stamp: ProcessingStamp | undefined;
  if (out.stamp) {
    stamp = {
      tool: 'darkroom',
      version: 1,
      settingsHash: settingsHash(settings),
      steps: stepsOf(corrections),
      outputSpace: settings.colour.space,
      ...(opts.stamp !== undefined ? { context: opts.stamp } : {}),
    };
    const existing =
      out.keepXmp && loaded.meta.xmp !== undefined ? loaded.meta.xmp.toString('utf8') : undefined;
    img = img.withXmp(withIptcXmp(opts.iptc, stampXmp(stamp, existing)));
  } else if (opts.iptc !== undefined && iptcDescription(opts.iptc) !== undefined) {
    const kept = out.keepXmp ? loaded.meta.xmp?.toString('utf8') : undefined;
    img = img.withXmp(withIptcXmp(opts.iptc, kept ?? emptyXmpPacket));
  } else if (out.keepXmp) img = img.keepXmp();
  img = applyEncoder(img, plan.format, out, settings.colour.space);
  try {
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    return { result: { data: spliceSrgb ? await withSrgbProfile(data) : data, info }, stamp };
  } catch (err) {
    throw imageError(err, loaded.file, 'read');
  }
}

/** Runs the whole pipeline on one image; every failure is a DarkroomError naming the file. */
export async function runPipeline(
  input: string | Buffer,
  settings: PipelineSettings,
  opts: PipelineOptions = {},
): Promise<PipelineResult> {
  const timingsMs: Record<string, number> = {};
  const { loaded, decodable, format, profile } = await readInput(input, settings, opts, timingsMs);
  const previousStamp =
    loaded.meta.xmp === undefined ? undefined : parseStamp(loaded.meta.xmp.toString('utf8'));
  const { analysis, detail, geometry, corrections, verdict, result, stamp } = await analyseAndProcess(
    loaded,
    decodable,
    settings,
    opts,
    { format, profile },
    timingsMs,
  );

  let previews: Previews | undefined;
  if (settings.previews.enabled && opts.previews === true) {
    const t = performance.now();
    previews = await makePreviews(
      detail.copy ?? decodable,
      result.data,
      settings.previews.size,
      loaded.file,
      settings.colour.space === 'cmyk',
    );
    timingsMs['previews'] = ms(t);
  }
  const channels = settings.colour.space === 'cmyk' ? 4 : result.info.channels;
  return {
    data: result.data,
    format,
    width: result.info.width,
    height: result.info.height,
    space: settings.colour.space,
    channels,
    analysis,
    corrections,
    geometry,
    verdict,
    ...(stamp !== undefined ? { stamp } : {}),
    ...(previousStamp !== undefined ? { previousStamp } : {}),
    ...(previews !== undefined ? { previews } : {}),
    timingsMs,
  };
}
