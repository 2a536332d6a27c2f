// XML job tickets: a ticket in a hotfolder names its image(s) and overrides the channel's settings
// (docs/job-tickets.md). Parsed safely (safe-xml.ts), validated into a typed, frozen JobTicket;
// every error is E_TICKET_INVALID naming the element path and line.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import { parsePipelineSettings } from '../imaging/pipeline-settings.js';
import { confinePath, isInside, resolveReal } from '../paths/confined-path.js';
import {
  defaultXmlLimits,
  parseSafeXml,
  XmlRefusal,
  type SafeXmlLimits,
  type XmlElement,
} from './safe-xml.js';

export const iptcSchema = z
  .object({
    caption: z.string().max(2000).optional().describe('IPTC caption / XMP dc:description'),
    headline: z.string().max(256).optional(),
    credit: z.string().max(256).optional().describe('IPTC credit line'),
    byline: z.string().max(256).optional().describe('photographer'),
    copyright: z.string().max(512).optional(),
    source: z.string().max(256).optional(),
    city: z.string().max(256).optional(),
    country: z.string().max(256).optional(),
    keywords: z.array(z.string().min(1).max(64)).max(100).optional(),
  })
  .strict();
export type IptcFields = z.infer<typeof iptcSchema>;

const imageName = z
  .string()
  .min(1, 'is empty')
  .max(255)
  .refine(
    (n) => !/[/\\]/.test(n) && n !== '.' && n !== '..',
    'must be a file name in the ticket folder, without a path',
  )
  .refine((n) => !n.startsWith('.'), 'must not be a hidden file');

export const jobTicketSchema = z
  .object({
    version: z.literal('1', 'version must be "1"').optional(),
    channel: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('the channel; required in the generic ticket folder'),
    reference: z.string().max(200).optional().describe("the sender's own id, echoed in the result ticket"),
    images: z.array(imageName).min(1, 'names no <image>').max(100, 'names more than 100 images'),
    outputFolder: z
      .string()
      .min(1)
      .optional()
      .describe(
        "absolute, or relative to the channel's output folder; must lead inside the output folder or the channel's allowedOutputRoots",
      ),
    resultTicket: z.boolean().default(false).describe('write a result ticket next to the output'),
    iptc: iptcSchema.optional(),
    overrides: z.record(z.string(), z.unknown()).default({}).describe('a partial of the pipeline settings'),
  })
  .strict();

export type JobTicket = z.infer<typeof jobTicketSchema> & { readonly file: string };

export interface TicketOptions extends SafeXmlLimits {
  /**
   * Checks the overrides; throws E_SETTINGS_INVALID with `field` (`a.b.c`), reported as a ticket
   * error at that element. Default: parsePipelineSettings (every pipeline setting has a default,
   * so a partial validates on its own). `false` skips the check.
   */
  readonly validateOverrides?: ((overrides: Record<string, unknown>) => void) | false;
}

const rootName = 'jobTicket';
const topLevel = new Set([
  'channel',
  'reference',
  'image',
  'outputFolder',
  'resultTicket',
  'iptc',
  'settings',
]);
const iptcText = new Set([
  'caption',
  'headline',
  'credit',
  'byline',
  'copyright',
  'source',
  'city',
  'country',
]);

/** A ticket is any `.xml` file in a hotfolder, except result tickets (`*.result.xml`). */
export function isJobTicketName(name: string): boolean {
  return /\.xml$/i.test(name) && !/\.result\.xml$/i.test(name);
}

/** Reads a ticket file, refusing an oversized one before reading it. */
export async function readJobTicket(path: string, options: TicketOptions = {}): Promise<JobTicket> {
  const maxBytes = options.maxBytes ?? defaultXmlLimits.maxBytes;
  const st = await stat(path);
  if (st.size > maxBytes) {
    throw new DarkroomError('E_TICKET_INVALID', {
      file: path,
      detail: `the file is ${st.size} bytes, over the limit of ${maxBytes}`,
    });
  }
  return parseJobTicket(await readFile(path, 'utf8'), path, options);
}

/** Parses and validates the text of a ticket; `file` names it in errors. */
export function parseJobTicket(text: string, file: string, options: TicketOptions = {}): JobTicket {
  const fail = (detail: string, line?: number, path?: string): DarkroomError => {
    const where = [path, line !== undefined ? `line ${line}` : undefined].filter(Boolean).join(', ');
    return new DarkroomError('E_TICKET_INVALID', {
      file,
      detail: where ? `${where}: ${detail}` : detail,
      line,
      path,
    });
  };
  let root: XmlElement;
  try {
    root = parseSafeXml(text, options);
  } catch (err) {
    if (err instanceof XmlRefusal) throw fail(err.message, err.line);
    throw err;
  }
  if (root.name !== rootName)
    throw fail(`the root element must be <${rootName}>, found <${root.name}>`, root.line);
  for (const a of Object.keys(root.attrs)) {
    if (a !== 'version') throw fail(`unknown attribute "${a}"`, root.line, rootName);
  }

  const lines = new Map<string, number>([['', root.line]]);
  const raw: Record<string, unknown> = {};
  if (root.attrs['version'] !== undefined) raw['version'] = root.attrs['version'];
  const images: string[] = [];
  for (const el of root.children) {
    const path = `${rootName}/${el.name}`;
    if (!topLevel.has(el.name)) {
      throw fail(`unknown element <${el.name}> (expected one of ${[...topLevel].join(', ')})`, el.line, path);
    }
    if (el.name === 'image') {
      leafText(el, path, fail);
      lines.set(`images.${images.length}`, el.line);
      images.push(el.text);
      continue;
    }
    if (el.name in raw || (el.name === 'settings' && 'overrides' in raw)) {
      throw fail(`<${el.name}> is given more than once`, el.line, path);
    }
    lines.set(el.name === 'settings' ? 'overrides' : el.name, el.line);
    if (el.name === 'iptc') raw['iptc'] = iptcOf(el, path, fail, lines);
    else if (el.name === 'settings') raw['overrides'] = settingsOf(el, path, fail, lines, 'overrides');
    else if (el.name === 'resultTicket') {
      const v = coerce(leafText(el, path, fail));
      if (typeof v !== 'boolean') throw fail(`must be true or false, found "${el.text}"`, el.line, path);
      raw['resultTicket'] = v;
    } else raw[el.name] = leafText(el, path, fail);
  }
  raw['images'] = images;

  const parsed = jobTicketSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.map(String).join('.');
    const line = lines.get(key) ?? lines.get(String(issue.path[0] ?? '')) ?? root.line;
    throw fail(issue.message, line, elementPath(key));
  }
  const validate = options.validateOverrides ?? validatePipelineOverrides;
  if (validate !== false) {
    try {
      validate(parsed.data.overrides);
    } catch (err) {
      if (!isDarkroomError(err, 'E_SETTINGS_INVALID')) throw err;
      const field = String(err.fields['field'] ?? '').replace(/\//g, '.');
      const key = `overrides.${field}`;
      let line: number | undefined;
      for (let k = key; k !== '' && line === undefined; k = k.slice(0, Math.max(0, k.lastIndexOf('.')))) {
        line = lines.get(k);
      }
      throw fail(String(err.fields['detail'] ?? err.message), line, elementPath(key));
    }
  }
  return deepFreeze({ ...parsed.data, file });
}

/** The overrides as a partial of the pipeline settings (unknown fields, bad values refused). */
export function validatePipelineOverrides(overrides: Record<string, unknown>): void {
  parsePipelineSettings(overrides);
}

function elementPath(key: string): string {
  const parts = key.split('.').filter((p) => p !== '' && !/^\d+$/.test(p));
  if (parts[0] === 'overrides') parts[0] = 'settings';
  if (parts[0] === 'images') parts[0] = 'image';
  if (parts[0] === 'iptc' && parts[1] === 'keywords') parts[1] = 'keyword';
  return [rootName, ...parts].join('/');
}

type Fail = (detail: string, line?: number, path?: string) => DarkroomError;

function leafText(el: XmlElement, path: string, fail: Fail): string {
  if (el.children.length > 0)
    throw fail(`<${el.name}> holds text only, found <${el.children[0]!.name}>`, el.line, path);
  const attr = Object.keys(el.attrs)[0];
  if (attr !== undefined) throw fail(`<${el.name}> takes no attributes, found "${attr}"`, el.line, path);
  return el.text;
}

function iptcOf(
  el: XmlElement,
  path: string,
  fail: Fail,
  lines: Map<string, number>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keywords: string[] = [];
  for (const c of el.children) {
    const p = `${path}/${c.name}`;
    if (c.name === 'keyword') {
      lines.set(`iptc.keywords.${keywords.length}`, c.line);
      keywords.push(leafText(c, p, fail));
    } else if (iptcText.has(c.name)) {
      if (c.name in out) throw fail(`<${c.name}> is given more than once`, c.line, p);
      lines.set(`iptc.${c.name}`, c.line);
      out[c.name] = leafText(c, p, fail);
    } else {
      throw fail(`unknown element <${c.name}> (expected keyword, ${[...iptcText].join(', ')})`, c.line, p);
    }
  }
  if (keywords.length > 0) out['keywords'] = keywords;
  return out;
}

/**
 * The generic settings mapping: an element with attributes or children becomes an object
 * (attributes and child elements are its fields; a repeated child becomes an array); an element
 * with text only becomes a value: `true`/`false` -> boolean, a decimal number -> number, else text.
 */
function settingsOf(
  el: XmlElement,
  path: string,
  fail: Fail,
  lines: Map<string, number>,
  key: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [a, v] of Object.entries(el.attrs)) {
    out[a] = coerce(v);
    lines.set(`${key}.${a}`, el.line);
  }
  const groups = new Map<string, XmlElement[]>();
  for (const c of el.children) groups.set(c.name, [...(groups.get(c.name) ?? []), c]);
  for (const [name, els] of groups) {
    const p = `${path}/${name}`;
    if (name in out) throw fail(`"${name}" is given both as an attribute and as an element`, els[0]!.line, p);
    const values = els.map((c, i) => {
      const k = els.length > 1 ? `${key}.${name}.${i}` : `${key}.${name}`;
      lines.set(k, c.line);
      if (c.children.length === 0 && Object.keys(c.attrs).length === 0) return coerce(c.text);
      if (c.text !== '') throw fail(`<${name}> mixes text with attributes or elements`, c.line, p);
      return settingsOf(c, p, fail, lines, k);
    });
    lines.set(`${key}.${name}`, els[0]!.line);
    out[name] = values.length > 1 ? values : values[0];
  }
  if (el.text !== '' && (el.children.length > 0 || Object.keys(el.attrs).length > 0)) {
    throw fail(`<${el.name}> mixes text with attributes or elements`, el.line, path);
  }
  return out;
}

function coerce(v: string): string | number | boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Where a ticket's <outputFolder> leads (absolute, or relative to the channel's output folder),
 * when that is inside the output folder or one of the channel's allowedOutputRoots (relative
 * roots: to the shared drive); else E_TICKET_PATH_OUTSIDE. Symlinks are resolved before comparing.
 */
export async function confineOutputFolder(
  outputFolder: string,
  channel: {
    readonly output: string;
    /** The channel's input folder: an output folder inside it is refused (its outputs would loop). */
    readonly input?: string;
    readonly settings: { readonly allowedOutputRoots?: readonly string[] };
  },
  sharedDir: string,
  ticketFile: string,
): Promise<string> {
  const extra = (channel.settings.allowedOutputRoots ?? []).map((r) =>
    isAbsolute(r) ? r : join(sharedDir, r),
  );
  const what = `job ticket ${ticketFile} <outputFolder>`;
  const resolved = await confinePath(outputFolder, {
    what,
    base: channel.output,
    roots: [channel.output, ...extra],
  });
  if (channel.input !== undefined) {
    const input = await resolveReal(channel.input);
    if (isInside(resolved, input)) {
      throw new DarkroomError('E_TICKET_PATH_INTO_INPUT', { what, path: outputFolder, resolved, input });
    }
  }
  return resolved;
}
