// Printing bench results: a Markdown table (so the output pastes into docs and the README),
// numbers formatted to a fixed precision, and small statistics (median, mean).

export type Cell = string | number;

/** Formats a number with `digits` decimals; integers >= 1000 get thousands separators. */
export function num(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A Markdown table with columns padded to their widest cell; numbers are right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : c)));
  const right = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const width = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length), 3));
  const pad = (s: string, i: number): string => (right[i] ? s.padStart(width[i]!) : s.padEnd(width[i]!));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...text.map((r) => line(headers.map((_, i) => r[i] ?? '')))].join('\n');
}

export function printTable(
  title: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  console.log(`\n${title}\n\n${markdownTable(headers, rows)}\n`);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function passFail(ok: boolean): string {
  return ok ? 'pass' : 'FAIL';
}
