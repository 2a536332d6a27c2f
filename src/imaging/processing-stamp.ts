// The darkroom processing stamp: an rdf:Description in the output's XMP saying what was done,
// with which settings (hash) and for which channel/job, so an already processed image is
// recognised. No timestamps: the same input and settings give the same bytes.
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { imageError } from './image-errors.js';
import { inputName } from './image-input.js';
import { sharp } from './sharp-door.js';

export const stampNamespace = 'https://darkroom.invalid/ns/processing/1.0/';

export interface ProcessingStamp {
  readonly tool: 'darkroom';
  readonly version: 1;
  /** SHA-256 (hex, first 16 digits) of the canonical settings JSON. */
  readonly settingsHash: string;
  /** The enhancement steps that changed the image, in pipeline order. */
  readonly steps: readonly string[];
  readonly outputSpace: string;
  /** Whatever the caller passed (channel, job id, ...). */
  readonly context?: Readonly<Record<string, unknown>>;
}

export function settingsHash(settings: unknown): string {
  return createHash('sha256').update(stableStringify(settings)).digest('hex').slice(0, 16);
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unescapeXml = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');

const descriptionPattern =
  /<rdf:Description[^>]*xmlns:darkroom="[^"]*"[^>]*?(\/>|>[\s\S]*?<\/rdf:Description>)/g;

function description(stamp: ProcessingStamp): string {
  return (
    `<rdf:Description rdf:about="" xmlns:darkroom="${stampNamespace}"` +
    ` darkroom:settingsHash="${stamp.settingsHash}" darkroom:steps="${escapeXml(stamp.steps.join(','))}"` +
    ` darkroom:stamp="${escapeXml(stableStringify(stamp))}"/>`
  );
}

/** The XMP packet to write: the stamp added to `existing` (an older darkroom stamp replaced), or a new packet. */
export function stampXmp(stamp: ProcessingStamp, existing?: string): string {
  const desc = description(stamp);
  if (existing !== undefined && existing.includes('</rdf:RDF>')) {
    return existing.replace(descriptionPattern, '').replace('</rdf:RDF>', `${desc}</rdf:RDF>`);
  }
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    desc +
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}

/** Pure: the stamp inside an XMP packet, if any. */
export function parseStamp(xmp: string): ProcessingStamp | undefined {
  const m = /darkroom:stamp="([^"]*)"/.exec(xmp);
  if (m === null) return undefined;
  try {
    const v = JSON.parse(unescapeXml(m[1]!)) as Partial<ProcessingStamp>;
    if (v.tool !== 'darkroom' || typeof v.settingsHash !== 'string') return undefined;
    return v as ProcessingStamp;
  } catch {
    return undefined;
  }
}

/** Reads the processing stamp of an image (path or Buffer); undefined when it has none. */
export async function readStamp(
  input: string | Buffer,
  fileName?: string,
): Promise<ProcessingStamp | undefined> {
  try {
    const meta = await sharp(input).metadata();
    return meta.xmp === undefined ? undefined : parseStamp(meta.xmp.toString('utf8'));
  } catch (err) {
    throw imageError(err, inputName(input, fileName), 'read');
  }
}
