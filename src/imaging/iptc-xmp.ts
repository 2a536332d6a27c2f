// IPTC fields (from a job ticket) as the standard IPTC Core XMP properties, added to an XMP
// packet: sharp cannot write IPTC-IIM, so XMP is where they go. Pure string building; the
// same properties already in the packet are replaced, everything else is kept.

/** The IPTC fields a job ticket can set (see src/hotfolders/job-ticket.ts `iptcSchema`). */
export interface IptcXmpFields {
  readonly caption?: string;
  readonly headline?: string;
  readonly credit?: string;
  readonly byline?: string;
  readonly copyright?: string;
  readonly source?: string;
  readonly city?: string;
  readonly country?: string;
  readonly keywords?: readonly string[];
}

const ns = {
  dc: 'http://purl.org/dc/elements/1.1/',
  photoshop: 'http://ns.adobe.com/photoshop/1.0/',
} as const;

/** Field -> XMP property and its container (lang alternative, ordered or unordered array, text). */
const properties = [
  ['caption', 'dc:description', 'alt'],
  ['headline', 'photoshop:Headline', 'text'],
  ['credit', 'photoshop:Credit', 'text'],
  ['byline', 'dc:creator', 'seq'],
  ['copyright', 'dc:rights', 'alt'],
  ['source', 'photoshop:Source', 'text'],
  ['city', 'photoshop:City', 'text'],
  ['country', 'photoshop:Country', 'text'],
  ['keywords', 'dc:subject', 'bag'],
] as const;

/** XML text/attribute escaping; characters XML 1.0 cannot hold (control characters) are dropped. */
export function escapeXmlText(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

function valueOf(f: IptcXmpFields, key: (typeof properties)[number][0]): readonly string[] {
  const v = f[key];
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

function property(name: string, kind: 'alt' | 'seq' | 'bag' | 'text', values: readonly string[]): string {
  if (kind === 'text') return `<${name}>${escapeXmlText(values[0]!)}</${name}>`;
  const container = kind === 'alt' ? 'rdf:Alt' : kind === 'seq' ? 'rdf:Seq' : 'rdf:Bag';
  const lang = kind === 'alt' ? ' xml:lang="x-default"' : '';
  const items = values.map((v) => `<rdf:li${lang}>${escapeXmlText(v)}</rdf:li>`).join('');
  return `<${name}><${container}>${items}</${container}></${name}>`;
}

/** The XMP property names the fields set (only the fields given). */
function namesOf(f: IptcXmpFields): string[] {
  return properties.filter(([key]) => valueOf(f, key).length > 0).map(([, name]) => name);
}

/** One rdf:Description holding the given fields; undefined when none is given. */
export function iptcDescription(f: IptcXmpFields): string | undefined {
  const body = properties
    .map(([key, name, kind]) => {
      const values = valueOf(f, key);
      return values.length === 0 ? '' : property(name, kind, values);
    })
    .join('');
  if (body === '') return undefined;
  return `<rdf:Description rdf:about="" xmlns:dc="${ns.dc}" xmlns:photoshop="${ns.photoshop}">${body}</rdf:Description>`;
}

/** Removes `name` from a packet, in element form (`<p:N>…</p:N>`, `<p:N/>`) and attribute form (`p:N="…"`). */
function withoutProperty(xmp: string, name: string): string {
  const n = name.replace(':', '\\:');
  return xmp
    .replace(new RegExp(`<${n}(\\s[^>]*)?>[\\s\\S]*?</${n}>`, 'g'), '')
    .replace(new RegExp(`<${n}(\\s[^>]*)?/>`, 'g'), '')
    .replace(new RegExp(`\\s${n}="[^"]*"`, 'g'), '')
    .replace(new RegExp(`\\s${n}='[^']*'`, 'g'), '');
}

export const emptyXmpPacket =
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>';

/**
 * The packet with the IPTC fields set: the same properties in `packet` are removed and one
 * rdf:Description with the fields is added. No fields: the packet unchanged. No packet (or one
 * without rdf:RDF): a new packet.
 */
export function withIptcXmp(fields: IptcXmpFields | undefined, packet: string): string;
export function withIptcXmp(fields: IptcXmpFields | undefined, packet?: string): string | undefined;
export function withIptcXmp(fields: IptcXmpFields | undefined, packet?: string): string | undefined {
  const desc = fields === undefined ? undefined : iptcDescription(fields);
  if (desc === undefined) return packet;
  const base = packet !== undefined && packet.includes('</rdf:RDF>') ? packet : emptyXmpPacket;
  const cleared = namesOf(fields!).reduce(withoutProperty, base);
  return cleared.replace('</rdf:RDF>', `${desc}</rdf:RDF>`);
}
