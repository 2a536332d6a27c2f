// The contact sheet of bench/quality: for the worst photo x class results, one row of three
// tiles (original, degraded, darkroom) and the report's reason lines under it, as one PNG.
import sharp, { type OverlayOptions } from 'sharp';

export interface SheetRow {
  readonly title: string;
  readonly original: Buffer;
  readonly degraded: Buffer;
  readonly darkroom: Buffer;
  /** PNG-encoded or raw: all three are encoded images (PNG). */
  readonly lines: readonly string[];
}

const tileW = 300;
const tileH = 200;
const gap = 6;
const lineH = 15;

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function textSvg(width: number, lines: readonly string[], bold = false): Buffer {
  const h = lines.length * lineH + 6;
  const body = lines
    .map(
      (l, i) =>
        `<text x="4" y="${(i + 1) * lineH}" font-family="DejaVu Sans, sans-serif" font-size="12"${bold && i === 0 ? ' font-weight="bold"' : ''} fill="#eee">${escapeXml(l)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}"><rect width="100%" height="100%" fill="#222"/>${body}</svg>`,
  );
}

/** Writes the sheet to `out` (PNG); returns its size. */
export async function writeContactSheet(
  rows: readonly SheetRow[],
  heading: string,
  out: string,
): Promise<{ width: number; height: number }> {
  const width = 3 * tileW + 4 * gap;
  const parts: OverlayOptions[] = [];
  const head = textSvg(width, [heading, 'original | degraded | darkroom'], true);
  parts.push({ input: head, top: 0, left: 0 });
  let y = (await sharp(head).metadata()).height + gap;
  for (const r of rows) {
    const tiles = [r.original, r.degraded, r.darkroom];
    for (let i = 0; i < 3; i++) {
      const tile = await sharp(tiles[i])
        .resize(tileW, tileH, { fit: 'contain', background: '#111' })
        .png()
        .toBuffer();
      parts.push({ input: tile, top: y, left: gap + i * (tileW + gap) });
    }
    y += tileH + 2;
    const text = textSvg(width, [r.title, ...r.lines], true);
    parts.push({ input: text, top: y, left: 0 });
    y += (await sharp(text).metadata()).height + gap;
  }
  await sharp({ create: { width, height: y, channels: 3, background: '#181818' } })
    .composite(parts)
    .png({ compressionLevel: 9, palette: true, quality: 90 })
    .toFile(out);
  return { width, height: y };
}
