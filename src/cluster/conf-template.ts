// Writes the text of a commented ClaroServers.conf from the key table (conf-schema.ts):
// used by `darkroom conf init` and to produce conf/ClaroServers.conf.example.
import { confKeyNames, keySpec } from './conf-schema.js';

export interface ConfTemplateInput {
  readonly shared: string;
  /** `NAME@HOST[:CLUSTERPORT[:HTTPPORT]]` entries, as they go into the file. */
  readonly servers: readonly string[];
  /** Inline secret; or give secretFile. */
  readonly secret?: string;
  readonly secretFile?: string;
  /** Further keys to set (written uncommented); every other key is shown commented with its default. */
  readonly set?: Readonly<Record<string, string>>;
}

const header = `# ClaroServers.conf: the darkroom cluster. One file, identical on every server.
#
# Format: one "key = value" per line. A "#" at the start of a line or after a space starts a
# comment. A value may be put in double quotes to keep a " #" or spaces at its ends.
# Unknown keys are errors; "darkroom conf check --conf FILE" validates the file.
# Keys shown commented out below take the default written after them.
`;

function wrap(text: string, width = 92): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && current.length + word.length + 1 > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines.map((l) => `# ${l}`);
}

/** The full text of a commented conf file. */
export function renderConf(input: ConfTemplateInput): string {
  const out: string[] = [header];
  for (const key of confKeyNames) {
    const spec = keySpec(key);
    const facts = [
      spec.unit ? `unit: ${spec.unit}` : undefined,
      spec.default !== undefined ? `default: ${String(spec.default)}` : undefined,
      spec.default === undefined && !spec.optional ? 'required' : undefined,
    ].filter((f) => f !== undefined);
    out.push(...wrap(`${key}: ${spec.description}${facts.length ? ` (${facts.join(', ')})` : ''}`));
    const given: string[] =
      key === 'server'
        ? [...input.servers]
        : key === 'shared'
          ? [input.shared]
          : key === 'secret' && input.secret !== undefined
            ? [input.secret]
            : key === 'secretFile' && input.secretFile !== undefined
              ? [input.secretFile]
              : input.set?.[key] !== undefined
                ? [input.set[key]]
                : [];
    if (given.length > 0) for (const v of given) out.push(`${key} = ${v}`);
    else out.push(`# ${key} = ${spec.default !== undefined ? String(spec.default) : spec.example}`);
    out.push('');
  }
  return out.join('\n');
}
