// Channel settings as people give them: a JSON settings (or patch) file, folder/group/priority
// flags and `--set key.path=value` strings, combined into one plain object for the decider.
import { readFile } from 'node:fs/promises';
import { DarkroomError } from '../errors/darkroom-error.js';
import { setPath } from './settings-paths.js';

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: where,
      detail: `not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    });
  }
}

/** Reads a JSON file named on the command line (settings, a channel export): E_INPUT_FILE_UNREADABLE when it cannot be read. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DarkroomError(
      'E_INPUT_FILE_UNREADABLE',
      { file, reason: (err as Error).message },
      { cause: err },
    );
  }
  return parseJsonText(text, file);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `key.path=value` (value as JSON when it parses, else as text) applied to `base`. */
export function applySets(base: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  let out = base;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new DarkroomError('E_USAGE', { detail: `--set ${s}: expected key.path=value` });
    const raw = s.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      value = raw;
    }
    out = setPath(out, s.slice(0, eq), value);
  }
  return out;
}

export interface SettingsFlags {
  file?: string;
  set: string[];
  type?: string;
  input?: string;
  output?: string;
  bad?: string;
  originals?: string;
  folder?: string;
  group?: string;
  priority?: string;
}

/** Settings (or a patch) from --file, the folder/group/priority flags, then --set, in that order. */
export async function settingsFromFlags(o: SettingsFlags): Promise<Record<string, unknown>> {
  let s: Record<string, unknown> = {};
  if (o.file !== undefined) {
    const json = await readJsonFile(o.file);
    if (!isObject(json))
      throw new DarkroomError('E_SETTINGS_INVALID', { field: o.file, detail: 'must be a JSON object' });
    s = json;
  }
  const flags: [string, string | undefined][] = [
    ['type', o.type],
    ['inputDir', o.input],
    ['outputDir', o.output],
    ['badDir', o.bad],
    ['originalsDir', o.originals],
    ['folder', o.folder],
    ['group', o.group],
  ];
  for (const [key, value] of flags) if (value !== undefined) s = { ...s, [key]: value };
  if (o.priority !== undefined) s = { ...s, priority: Number(o.priority) };
  return applySets(s, o.set);
}
