// Safe XML reading for job tickets: a size limit, no DOCTYPE (so no entity definitions, external
// or internal), no entity expansion beyond the five predefined ones and character references, a
// depth limit; the result is a small element tree with the line of every element. Pure.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own text (CDATA included), trimmed, entities decoded. */
  readonly text: string;
  /** 1-based line of the element's start tag. */
  readonly line: number;
}

export interface SafeXmlLimits {
  /** Default 256 KiB. */
  readonly maxBytes?: number;
  /** Default 16. */
  readonly maxDepth?: number;
}

/** Why an XML text was refused; `line` when it points at one place. */
export class XmlRefusal extends Error {
  readonly line: number | undefined;
  constructor(detail: string, line?: number) {
    super(detail);
    this.name = 'XmlRefusal';
    this.line = line;
  }
}

export const defaultXmlLimits = { maxBytes: 256 * 1024, maxDepth: 16 } as const;

const metaSymbol = XMLParser.getMetaDataSymbol() as unknown as symbol;

/** Parses `text` into its root element or throws XmlRefusal. */
export function parseSafeXml(text: string, limits: SafeXmlLimits = {}): XmlElement {
  const maxBytes = limits.maxBytes ?? defaultXmlLimits.maxBytes;
  const maxDepth = limits.maxDepth ?? defaultXmlLimits.maxDepth;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new XmlRefusal(`the file is ${bytes} bytes, over the limit of ${maxBytes}`);
  const doctype = /<!DOCTYPE|<!ENTITY/i.exec(text);
  if (doctype) {
    throw new XmlRefusal(
      'a DOCTYPE or ENTITY declaration is not allowed (no DTDs, no entities)',
      lineAt(text, doctype.index),
    );
  }
  // The validator is the one fast-xml-parser ships (deprecated in favour of a separate package that
  // is not among the pinned dependencies); it reports the line of the first error.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) throw new XmlRefusal(`malformed XML: ${valid.err.msg}`, valid.err.line);

  const parser = new XMLParser({
    preserveOrder: true,
    captureMetaData: true,
    processEntities: false,
    htmlEntities: false,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: false,
    maxNestedTags: maxDepth + 1,
  });
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/nested/i.test(msg)) throw new XmlRefusal(`elements are nested deeper than ${maxDepth} levels`);
    throw new XmlRefusal(`malformed XML: ${msg}`);
  }
  const roots = toElements(nodes, text, 1, maxDepth);
  if (roots.length !== 1) throw new XmlRefusal(`expected one root element, found ${roots.length}`);
  return roots[0]!;
}

type OrderedNode = Record<string, unknown>;
type NodeMeta = { startIndex?: number } | undefined;

function toElements(nodes: unknown, source: string, depth: number, maxDepth: number): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const out: XmlElement[] = [];
  for (const node of nodes as OrderedNode[]) {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (name === undefined || name === '#text') continue;
    const meta = (node as Record<symbol, NodeMeta>)[metaSymbol];
    const line = lineAt(source, meta?.startIndex ?? 0);
    if (depth > maxDepth) throw new XmlRefusal(`elements are nested deeper than ${maxDepth} levels`, line);
    const body = node[name] as OrderedNode[];
    const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = decodeEntities(v, line);
    const text = body
      .filter((c) => '#text' in c)
      .map((c) => c['#text'] as string)
      .join('');
    out.push({
      name,
      attrs,
      children: toElements(body, source, depth + 1, maxDepth),
      text: decodeEntities(text, line).trim(),
      line,
    });
  }
  return out;
}

const predefined: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; any other entity is refused. */
function decodeEntities(text: string, line: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z][\w.-]*);/g, (_m, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff || code === 0) {
        throw new XmlRefusal(`invalid character reference &${ref};`, line);
      }
      return String.fromCodePoint(code);
    }
    const value = predefined[ref];
    if (value === undefined)
      throw new XmlRefusal(`unknown entity &${ref}; (only &amp; &lt; &gt; &quot; &apos;)`, line);
    return value;
  });
}

export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
