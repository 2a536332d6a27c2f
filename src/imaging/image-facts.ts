// What routing rules can test about an image file, read from its header only (no decoding):
// format, colour space, displayed width/height (after EXIF orientation), and flattened metadata
// fields — `exif.<Tag>` (exif-reader), `iptc.<field>` (XMP IPTC Core, else IPTC-IIM) and
// `xmp.darkroom.<key>` (the processing stamp). A file sharp cannot read yields no facts.
import exifReader from 'exif-reader';
import { parseStamp } from './processing-stamp.js';
import { sharp } from './sharp-door.js';

export type FactValue = string | number | readonly string[];

export interface ImageFacts {
  readonly format?: string;
  /** sharp's interpretation: srgb, rgb16, cmyk, b-w, grey16, lab ... */
  readonly colourSpace?: string;
  /** As displayed: EXIF orientations 5-8 swap width and height. */
  readonly widthPx?: number;
  readonly heightPx?: number;
  readonly fields: Readonly<Record<string, FactValue>>;
}

/** IPTC field -> its IPTC Core XMP property (as written by iptc-xmp.ts) and its IIM dataset (record 2). */
const iptcProperties: readonly (readonly [string, string, number])[] = [
  ['caption', 'dc:description', 120],
  ['headline', 'photoshop:Headline', 105],
  ['credit', 'photoshop:Credit', 110],
  ['byline', 'dc:creator', 80],
  ['copyright', 'dc:rights', 116],
  ['source', 'photoshop:Source', 115],
  ['city', 'photoshop:City', 90],
  ['country', 'photoshop:Country', 101],
  ['keywords', 'dc:subject', 25],
];

const unescapeXml = (s: string): string =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');

/** Pure: the values of one XMP property (element form with or without rdf:li items, or attribute form). */
export function xmpValues(xmp: string, name: string): string[] {
  const n = name.replace(':', '\\:');
  const out: string[] = [];
  for (const m of xmp.matchAll(new RegExp(`<${n}(?:\\s[^>]*)?>([\\s\\S]*?)</${n}>`, 'g'))) {
    const inner = m[1]!;
    const items = [...inner.matchAll(/<rdf:li(?:\s[^>]*)?>([\s\S]*?)<\/rdf:li>/g)].map((li) => li[1]!);
    out.push(...(items.length > 0 ? items : inner.includes('<') ? [] : [inner]));
  }
  for (const m of xmp.matchAll(new RegExp(`\\s${n}="([^"]*)"`, 'g'))) out.push(m[1]!);
  return out.map(unescapeXml).filter((v) => v.trim() !== '');
}

/** Pure: IPTC-IIM record 2 datasets found in a block (APP13 / Photoshop IRB or bare IIM). */
export function iimValues(block: Buffer): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let i = 0; i + 5 <= block.length; i++) {
    if (block[i] !== 0x1c || block[i + 1] !== 0x02) continue;
    const len = block.readUInt16BE(i + 3);
    if (len >= 0x8000 || i + 5 + len > block.length) continue;
    const ds = block[i + 2]!;
    out.set(ds, [...(out.get(ds) ?? []), block.toString('utf8', i + 5, i + 5 + len)]);
    i += 4 + len;
  }
  return out;
}

function exifValue(v: unknown): string | number | undefined {
  if (typeof v === 'string') {
    const s = v.replace(/\0+$/, '').trim();
    return s === '' ? undefined : s;
  }
  if (typeof v === 'number') return v;
  // exif-reader reads EXIF local times as if UTC: keep them as written, without a zone.
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 19);
  return undefined;
}

/** Pure: EXIF tags (IFD0, Exif, GPS) flattened to `exif.<Tag>`; an unreadable block gives none. */
export function exifFields(block: Buffer): Record<string, FactValue> {
  const out: Record<string, FactValue> = {};
  let tags: ReturnType<typeof exifReader>;
  try {
    tags = exifReader(block);
  } catch {
    return out;
  }
  for (const group of [tags.Image, tags.Photo, tags.GPSInfo]) {
    for (const [k, v] of Object.entries(group ?? {})) {
      const value = exifValue(v);
      if (value !== undefined && !(`exif.${k}` in out)) out[`exif.${k}`] = value;
    }
  }
  return out;
}

/** Pure: the metadata fields of an image from its EXIF, XMP and IPTC blocks. */
export function metadataFields(blocks: {
  exif?: Buffer | undefined;
  xmp?: Buffer | undefined;
  iptc?: Buffer | undefined;
}): Record<string, FactValue> {
  const fields: Record<string, FactValue> = blocks.exif !== undefined ? exifFields(blocks.exif) : {};
  const xmp = blocks.xmp?.toString('utf8');
  const iim = blocks.iptc !== undefined ? iimValues(blocks.iptc) : new Map<number, string[]>();
  for (const [field, property, dataset] of iptcProperties) {
    let values = xmp !== undefined ? xmpValues(xmp, property) : [];
    if (values.length === 0) values = iim.get(dataset) ?? [];
    if (values.length > 0) fields[`iptc.${field}`] = field === 'keywords' ? values : values.join('; ');
  }
  const stamp = xmp !== undefined ? parseStamp(xmp) : undefined;
  for (const [k, v] of Object.entries(stamp?.context ?? {})) {
    if (typeof v === 'string' || typeof v === 'number') fields[`xmp.darkroom.${k}`] = v;
  }
  return fields;
}

/** Reads the facts of an image file from its header; an unreadable file gives `{ fields: {} }`. */
export async function readImageFacts(path: string): Promise<ImageFacts> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(path).metadata();
  } catch {
    return { fields: {} };
  }
  const swap = meta.orientation !== undefined && meta.orientation >= 5 && meta.orientation <= 8;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  return {
    ...(meta.format !== undefined ? { format: meta.format } : {}),
    ...(meta.space !== undefined ? { colourSpace: meta.space } : {}),
    ...(width !== undefined ? { widthPx: width } : {}),
    ...(height !== undefined ? { heightPx: height } : {}),
    fields: metadataFields({ exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc }),
  };
}
