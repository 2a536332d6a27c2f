// Tiny DOM helpers: h() builds elements (no innerHTML anywhere: all text goes in as text nodes),
// plus formatting shared by the views.

/**
 * h('button', { class: 'x', onclick: fn, 'aria-label': 'y' }, 'text', child…)
 * Attributes starting with "on" become listeners; `style` takes an object (CSSOM, allowed by the
 * CSP); false/null/undefined attributes and children are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'rect', 'path', 'line', 'text', 'g', 'polyline', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' && 'checked' in el) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function time(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toLocaleTimeString([], { hour12: false });
}

export function dateTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toLocaleString([], { hour12: false });
}

export function ms(n) {
  if (typeof n !== 'number') return '';
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}

export function bytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A state badge: colour and text (never colour alone). */
export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

/** Shows an error (an ApiError or anything) inside `el` as an alert. */
export function errorBox(err) {
  const code = err?.code ? `${err.code}: ` : '';
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, code, err?.message ?? String(err)),
    err?.fix ? h('div', { class: 'fix' }, err.fix) : null,
  );
}
