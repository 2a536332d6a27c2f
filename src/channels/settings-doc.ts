// The channel settings reference (docs/channel-settings.md), generated from the schema's
// descriptions, defaults and bounds so the docs cannot drift from what is validated.
import { z } from 'zod';
import {
  channelFolderDefaults,
  processChannelSchema,
  purgingChannelSchema,
  routingChannelSchema,
} from './channel-settings.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

const LARGE = 2 ** 53 - 1;

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum !== undefined) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(' | ');
  if (s.properties !== undefined) return `{${Object.keys(s.properties).join(', ')}}`;
  const t = Array.isArray(s.type) ? s.type.join('|') : (s.type ?? 'any');
  if (t === 'integer' || t === 'number') {
    const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? `>${s.exclusiveMinimum}` : undefined);
    const hi = s.maximum !== undefined && s.maximum < LARGE ? s.maximum : undefined;
    if (lo === undefined && hi === undefined) return t;
    return `${t} ${lo ?? ''}..${hi ?? ''}`;
  }
  if (t === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  return t;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(
  schema: JsonSchema,
  prefix: string,
  out: string[],
  folders: Readonly<Record<string, string>> = {},
): void {
  const required = new Set(schema.required ?? []);
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const isObject = s.properties !== undefined;
    const folder = folders[key];
    let def = '';
    if (folder !== undefined) def = `\`hotfolders/NAME/${folder}\``;
    else if (s.default !== undefined && !isObject) def = `\`${JSON.stringify(s.default)}\``;
    else if (required.has(key)) def = 'required';
    const type = isObject ? 'object' : typeOf(s);
    out.push(`| \`${path}\` | ${cell(type)} | ${def} | ${cell(s.description ?? '')} |`);
    if (isObject) rows(s, `${path}.`, out);
  }
}

function section(title: string, schema: z.ZodType, note: string, type: string): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [
    `## ${title}`,
    '',
    note,
    '',
    '| setting | type | default | description |',
    '|---|---|---|---|',
  ];
  rows(json, '', out, channelFolderDefaults[type]);
  return [...out, ''];
}

/** The whole generated reference, as markdown. */
export function renderChannelSettingsDoc(): string {
  return [
    '# Channel settings reference',
    '',
    '<!-- Generated from src/channels/channel-settings.ts by `npx tsx scripts/gen-channels-doc.ts`; do not edit. -->',
    '',
    'Every key of every channel type, with its type, default and description. Unknown keys are',
    'refused. Folders are absolute or relative to the shared drive; the folders of a process or',
    'routing channel default to `hotfolders/NAME/in`, `out`, `bad`, `originals`. See docs/channels.md',
    'for the commands and the choices behind these settings. The `pipeline.*` rows are copied from',
    'the imaging schema (src/imaging/pipeline-settings.ts) when this file is generated; that schema',
    'is the authority for them.',
    '',
    ...section(
      'type `process`',
      processChannelSchema,
      'Image processing: input folder -> pipeline -> output folder.',
      'process',
    ),
    ...section(
      'type `routing`',
      routingChannelSchema,
      'Files in the input folder go to a folder or another channel, by ordered rules.',
      'routing',
    ),
    ...section(
      'type `purging`',
      purgingChannelSchema,
      "Deletes a folder's oldest files by rules, on a schedule.",
      'purging',
    ),
  ].join('\n');
}
