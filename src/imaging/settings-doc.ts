// The settings reference in docs/imaging.md, rendered from the schema's descriptions and
// defaults (a test keeps the document in step with the schema).
import { z } from 'zod';
import { pipelineSettingsSchema } from './pipeline-settings.js';

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(' or ');
  if (s.enum !== undefined) return s.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (s.const !== undefined) return `\`${typeof s.const === 'string' ? s.const : JSON.stringify(s.const)}\``;
  if (s.pattern !== undefined) return `text matching \`${s.pattern}\``;
  const range =
    s.minimum !== undefined || s.maximum !== undefined ? ` ${s.minimum ?? ''}..${s.maximum ?? ''}` : '';
  return `${s.type ?? 'any'}${range}`;
}

function rows(s: JsonSchema, path: string, out: string[]): void {
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const p = path === '' ? key : `${path}.${key}`;
    if (child.type === 'object' && child.properties !== undefined) {
      out.push(`| **${p}** | group | | ${child.description ?? ''} |`);
      rows(child, p, out);
    } else {
      const def = child.default === undefined ? '(unset)' : `\`${JSON.stringify(child.default)}\``;
      const cell = (t: string): string => t.replace(/\|/g, '\\|');
      out.push(`| ${p} | ${cell(typeOf(child))} | ${cell(def)} | ${cell(child.description ?? '')} |`);
    }
  }
}

/** The markdown table of every setting: path, type, default, description. */
export function renderSettingsReference(): string {
  const json = z.toJSONSchema(pipelineSettingsSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = ['| setting | type | default | meaning |', '|---|---|---|---|'];
  rows(json, '', out);
  return `${out.join('\n')}\n`;
}
