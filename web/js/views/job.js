// A job in the Inspector: before/after (side by side and with a slider), histograms, the analysis,
// the corrections with their reasons, the quality verdict, timings and history; retry, cancel,
// review decisions, and reprocess with adjusted strengths compared with this result.
import { api } from '../api.js';
import { histograms } from '../charts.js';
import { compare } from '../compare.js';
import { dateTime, errorBox, fill, h, ms, stateBadge } from '../dom.js';
import { subscribe } from '../live.js';

/** Enhancement steps whose strength can be adjusted (pipeline.enhancement.NAME.strength, 0–2). */
export const STEPS = ['cast', 'exposure', 'contrast', 'saturation', 'sharpen', 'noiseReduction'];

const human = (k) => k.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`);

function preview(id, which, bust = '') {
  return `/api/jobs/${encodeURIComponent(id)}/previews/${which}${bust}`;
}

function scalar(v) {
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.map(scalar).join(', ');
  if (typeof v === 'string') return v;
  return undefined;
}

/** The analysis as a definition list of its scalar figures (nested one level). */
function analysisList(a) {
  if (!a) return h('p', { class: 'muted' }, 'No analysis (the job has not been processed).');
  const rows = [];
  for (const [k, v] of Object.entries(a)) {
    if (k === 'histograms') continue;
    const s = scalar(v);
    if (s !== undefined) rows.push([human(k), s]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = Object.entries(v)
        .map(([ik, iv]) => [ik, scalar(iv)])
        .filter(([, iv]) => iv !== undefined)
        .map(([ik, iv]) => `${ik} ${iv}`)
        .join(' · ');
      if (inner) rows.push([human(k), inner]);
    }
  }
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function correctionsTable(c) {
  if (!c) return h('p', { class: 'muted' }, 'No corrections recorded.');
  return h(
    'table',
    { class: 'corrections', 'aria-label': 'Corrections' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Step', 'Applied', 'Why', 'Figures'].map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      Object.entries(c).map(([name, step]) =>
        h(
          'tr',
          { 'data-step': name, class: step?.applied ? 'applied' : 'not-applied' },
          h('th', { scope: 'row' }, human(name)),
          h(
            'td',
            {},
            step?.applied
              ? h('span', { class: 'badge ok' }, 'applied')
              : h('span', { class: 'badge muted' }, 'no'),
          ),
          h('td', {}, step?.reason ?? ''),
          h(
            'td',
            { class: 'small' },
            Object.entries(step ?? {})
              .filter(([k]) => k !== 'applied' && k !== 'reason')
              .map(([k, v]) => [k, scalar(v)])
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k} ${v}`)
              .join(' · '),
          ),
        ),
      ),
    ),
  );
}

function verdictBox(v) {
  if (!v) return null;
  const pass = v.pass ?? v.passed;
  const reasons = v.reasons ?? [];
  return h(
    'div',
    { class: `verdict ${pass ? 'pass' : 'fail'}` },
    h('strong', {}, pass ? 'Quality check passed' : 'Quality check rejected'),
    reasons.length
      ? h(
          'ul',
          {},
          reasons.map((r) => h('li', {}, typeof r === 'string' ? r : JSON.stringify(r))),
        )
      : null,
  );
}

/** Strength sliders (0–2, step 0.1) for the enhancement steps; returns {el, settings()}. */
export function strengthForm(idPrefix) {
  const inputs = new Map();
  const rows = STEPS.map((s) => {
    const id = `${idPrefix}-${s}`;
    const out = h('output', { for: id }, '1.0');
    const input = h('input', {
      id,
      type: 'range',
      min: 0,
      max: 2,
      step: 0.1,
      value: 1,
      'data-step': s,
      oninput: () => (out.textContent = Number(input.value).toFixed(1)),
    });
    inputs.set(s, input);
    return h('div', { class: 'strength' }, h('label', { for: id }, human(s)), input, out);
  });
  return {
    el: h(
      'fieldset',
      { class: 'strengths' },
      h('legend', {}, 'Strengths (1 = as designed, 0 = off, 2 = twice as hard)'),
      rows,
    ),
    settings() {
      const enhancement = {};
      for (const [s, input] of inputs) {
        const v = Number(input.value);
        if (v !== 1) enhancement[s] = { strength: v };
      }
      // Reprocess takes pipeline overrides (the OpenAPI document: "pipeline overrides").
      return { enhancement };
    },
  };
}

export function jobView({ id }) {
  const root = h('section', { class: 'job' }, h('h1', {}, 'Job ', h('code', {}, id)));
  const status = h('div', { 'aria-live': 'polite' });
  const content = h('div');
  const reprocessed = h('div', { class: 'reprocessed', 'aria-live': 'polite' });
  root.append(status, content, reprocessed);
  let job;
  /** The jobs this page reprocessed, by id → their summary. */
  const children = new Map();

  async function act(label, fn) {
    fill(status);
    try {
      await fn();
      fill(status, h('p', { class: 'ok-text' }, label));
      await load();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  function actions() {
    const buttons = [];
    if (job.state === 'failed')
      buttons.push(
        h(
          'button',
          { type: 'button', onclick: () => act('Retried.', () => api.post(`/api/jobs/${id}/retry`)) },
          'Retry',
        ),
      );
    if (['submitted', 'assigned', 'processing', 'review'].includes(job.state))
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => act('Cancelled.', () => api.post(`/api/jobs/${id}/cancel`, {})),
          },
          'Cancel',
        ),
      );
    if (job.state === 'review') {
      buttons.push(
        h(
          'button',
          { type: 'button', onclick: () => act('Approved.', () => api.post(`/api/jobs/${id}/approve`)) },
          'Approve',
        ),
      );
      const reason = h('input', { id: 'reject-reason', placeholder: 'why', required: true });
      buttons.push(
        h(
          'form',
          {
            class: 'inline',
            onsubmit: (ev) => {
              ev.preventDefault();
              void act('Rejected.', () =>
                api.post(`/api/jobs/${id}/reject`, { reason: reason.value.trim() || 'rejected' }),
              );
            },
          },
          h('label', { for: 'reject-reason' }, 'Reject because'),
          reason,
          h('button', { type: 'submit', class: 'danger' }, 'Reject'),
        ),
      );
    }
    if (job.state === 'completed' && job.outputs?.length)
      buttons.push(
        h(
          'a',
          { class: 'button secondary', href: `/api/jobs/${id}/result`, download: '' },
          'Download result',
        ),
      );
    return h('div', { class: 'actions' }, buttons);
  }

  function reprocessPanel() {
    const form = strengthForm('rp');
    const note = h('div', { 'aria-live': 'polite' });
    return h(
      'form',
      {
        class: 'panel',
        'aria-labelledby': 'reprocess-title',
        onsubmit: async (ev) => {
          ev.preventDefault();
          fill(note);
          try {
            const r = await api.post(`/api/jobs/${id}/reprocess`, { settings: form.settings() });
            children.set(r.id, { id: r.id, state: 'submitted' });
            drawChildren();
            fill(
              note,
              h(
                'p',
                { class: 'ok-text' },
                'Reprocessing as job ',
                h('a', { href: `#/jobs/${r.id}` }, r.id),
                '.',
              ),
            );
          } catch (err) {
            fill(note, errorBox(err));
          }
        },
      },
      h('h2', { id: 'reprocess-title' }, 'Reprocess with adjusted strengths'),
      form.el,
      h('button', { type: 'submit' }, 'Reprocess'),
      note,
    );
  }

  function drawChildren() {
    fill(
      reprocessed,
      [...children.values()].map((c) =>
        h(
          'div',
          { class: 'panel', 'data-reprocess': c.id },
          h('h2', {}, 'Reprocessed: ', h('a', { href: `#/jobs/${c.id}` }, c.id), ' ', stateBadge(c.state)),
          c.state === 'completed' || c.state === 'review'
            ? [
                h('p', { class: 'muted' }, 'Left: this job’s result. Right: the reprocessed one.'),
                compare(preview(id, 'after'), preview(c.id, 'after', `?v=${c.updated?.seq ?? ''}`), {
                  label: 'result',
                }),
              ]
            : h('p', { class: 'muted' }, 'Waiting for it to finish…'),
        ),
      ),
    );
  }

  async function load() {
    try {
      const [ins, histFromApi] = await Promise.all([
        api.get(`/api/jobs/${encodeURIComponent(id)}/inspect`),
        api.get(`/api/jobs/${encodeURIComponent(id)}/histograms`).catch(() => undefined),
      ]);
      // Without the histograms route, the analysis still has the input's histograms (before).
      const hist =
        histFromApi ?? (ins.analysis?.histograms ? { before: ins.analysis.histograms } : undefined);
      job = ins.job;
      const done = ['completed', 'review'].includes(job.state);
      const bust = `?v=${job.updated?.seq ?? ''}`;
      fill(
        content,
        h(
          'div',
          { class: 'job-head' },
          h('span', { class: 'file' }, job.relPath),
          stateBadge(job.state),
          h(
            'span',
            {},
            'channel ',
            h('a', { href: `#/jobs?channel=${encodeURIComponent(job.channel)}` }, job.channel),
          ),
          job.instanceId || ins.instanceId ? h('span', {}, 'on ', ins.instanceId ?? job.instanceId) : null,
          h('span', { class: 'muted' }, 'submitted ', dateTime(job.submitted?.ts)),
          job.attempt > 1 ? h('span', { class: 'muted' }, `attempt ${job.attempt}`) : null,
        ),
        job.error
          ? h(
              'div',
              { class: 'error', role: 'alert' },
              h('strong', {}, job.error.code ?? 'error', ': '),
              job.error.message ?? '',
            )
          : null,
        job.review?.message ? h('p', { class: 'review-message' }, job.review.message) : null,
        actions(),
        h('h2', {}, 'Before and after'),
        compare(preview(id, 'before'), done ? preview(id, 'after', bust) : undefined, { label: job.relPath }),
        h('h2', {}, 'Histograms'),
        hist ? histograms(hist.before, hist.after) : h('p', { class: 'muted' }, 'No histograms yet.'),
        verdictBox(ins.verdict ?? job.verdict),
        h(
          'div',
          { class: 'columns' },
          h('div', {}, h('h2', {}, 'Corrections'), correctionsTable(ins.corrections)),
          h('div', {}, h('h2', {}, 'Analysis'), analysisList(ins.analysis)),
        ),
        ins.timingsMs
          ? [
              h('h2', {}, 'Timings'),
              h(
                'dl',
                { class: 'facts' },
                Object.entries(ins.timingsMs).map(([k, v]) => [h('dt', {}, human(k)), h('dd', {}, ms(v))]),
              ),
            ]
          : null,
        job.state !== 'failed' && job.state !== 'cancelled' ? reprocessPanel() : null,
        h('h2', {}, 'History'),
        h(
          'ol',
          { class: 'history' },
          (ins.history ?? []).map((r) =>
            h(
              'li',
              {},
              h('span', { class: 'muted' }, dateTime(r.ts)),
              ' ',
              h('strong', {}, r.type),
              ' by ',
              r.data?.by ?? r.data?.user ?? r.by,
              ` (seq ${r.seq})`,
            ),
          ),
        ),
      );
    } catch (err) {
      fill(content, errorBox(err));
    }
  }

  let reloading;
  const undo = subscribe((rec) => {
    const j = rec.job;
    if (j === undefined) return;
    if (children.has(j.id)) {
      children.set(j.id, j);
      drawChildren();
    }
    if (j.id === id && j.state !== job?.state) {
      // Reload once the burst of records about this job settles.
      clearTimeout(reloading);
      reloading = setTimeout(() => void load(), 200);
    }
  });
  void load();
  return { el: root, dispose: () => (undo(), clearTimeout(reloading)) };
}
