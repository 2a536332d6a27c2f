// Small SVG charts: histograms before/after and the throughput bars. Drawn from numbers only, with a
// text alternative (aria-label / <title>) for each.
import { h } from './dom.js';

const COLOURS = { r: '#d33', g: '#2a2', b: '#36d', l: '#555' };

/** A histogram of 256 (or fewer) bins as a filled path, scaled to its own maximum. */
function histogramPath(bins, width, height) {
  const max = Math.max(1, ...bins);
  const step = width / bins.length;
  let d = `M0 ${height}`;
  bins.forEach((v, i) => {
    const y = height - (Math.sqrt(v) / Math.sqrt(max)) * height;
    d += ` L${(i * step).toFixed(1)} ${y.toFixed(1)} L${((i + 1) * step).toFixed(1)} ${y.toFixed(1)}`;
  });
  return `${d} L${width} ${height} Z`;
}

/** One small chart per channel (r, g, b, l) with before (outline) and after (filled). */
export function histograms(beforeIn, afterIn) {
  // A bare array is a luminance histogram; an object has r, g, b and/or l.
  const norm = (x) => (Array.isArray(x) ? { l: x } : x);
  const before = norm(beforeIn);
  const after = norm(afterIn);
  const w = 256;
  const hgt = 70;
  const charts = [];
  for (const ch of ['l', 'r', 'g', 'b']) {
    const b = before?.[ch];
    const a = after?.[ch];
    if (!Array.isArray(b) && !Array.isArray(a)) continue;
    const name = { l: 'luminance', r: 'red', g: 'green', b: 'blue' }[ch];
    charts.push(
      h(
        'figure',
        { class: 'histogram' },
        h(
          'svg',
          {
            viewBox: `0 0 ${w} ${hgt}`,
            width: w,
            height: hgt,
            role: 'img',
            'aria-label': `${name} histogram, before and after`,
          },
          Array.isArray(a)
            ? h('path', { d: histogramPath(a, w, hgt), fill: COLOURS[ch], 'fill-opacity': '0.35' })
            : null,
          Array.isArray(b)
            ? h('path', {
                d: histogramPath(b, w, hgt),
                fill: 'none',
                stroke: COLOURS[ch],
                'stroke-width': '1',
              })
            : null,
        ),
        h('figcaption', {}, name, h('span', { class: 'muted small' }, ' — line: before, filled: after')),
      ),
    );
  }
  return h('div', { class: 'histograms' }, charts);
}

/** Throughput bars: completed (and failed on top) per bucket. */
export function throughputChart(series, bucketMs) {
  const w = 600;
  const hgt = 120;
  const n = Math.max(1, series.length);
  const max = Math.max(1, ...series.map((s) => (s.completed ?? 0) + (s.failed ?? 0)));
  const bw = w / n;
  const total = series.reduce((t, s) => t + (s.completed ?? 0), 0);
  const failed = series.reduce((t, s) => t + (s.failed ?? 0), 0);
  return h(
    'figure',
    { class: 'throughput' },
    h(
      'svg',
      {
        viewBox: `0 0 ${w} ${hgt + 14}`,
        width: '100%',
        height: hgt + 14,
        role: 'img',
        'aria-label': `throughput: ${total} completed and ${failed} failed in the last ${series.length} periods of ${Math.round(bucketMs / 1000)} s`,
      },
      series.map((s, i) => {
        const c = ((s.completed ?? 0) / max) * hgt;
        const f = ((s.failed ?? 0) / max) * hgt;
        return h(
          'g',
          {},
          h(
            'title',
            {},
            `${new Date(s.start).toLocaleTimeString([], { hour12: false })}: ${s.completed ?? 0} completed, ${s.failed ?? 0} failed`,
          ),
          h('rect', {
            x: (i * bw + 1).toFixed(1),
            y: (hgt - c).toFixed(1),
            width: Math.max(1, bw - 2).toFixed(1),
            height: c.toFixed(1),
            fill: '#2a7',
          }),
          h('rect', {
            x: (i * bw + 1).toFixed(1),
            y: (hgt - c - f).toFixed(1),
            width: Math.max(1, bw - 2).toFixed(1),
            height: f.toFixed(1),
            fill: '#d44',
          }),
        );
      }),
      h('line', { x1: 0, y1: hgt, x2: w, y2: hgt, stroke: '#999' }),
      h(
        'text',
        { x: 0, y: hgt + 12, 'font-size': 10, fill: '#555' },
        `max ${max} per ${Math.round(bucketMs / 1000)} s`,
      ),
    ),
    h('figcaption', {}, `${total} completed, ${failed} failed (green: completed, red: failed)`),
  );
}
