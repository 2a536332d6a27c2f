// The review queue: the oldest waiting job first, before/after with the quality verdict and the
// channel's message; approve (A), reject with a reason (R), adjust and reprocess (E), skip to the
// next (N). The count of waiting jobs is in the heading and in the top bar at all times.
import { api } from '../api.js';
import { compare } from '../compare.js';
import { errorBox, fill, h, time } from '../dom.js';
import { subscribe } from '../live.js';
import { strengthForm } from './job.js';

export function reviewView({ query }) {
  const channel = query.get('channel') ?? '';
  let queue = [];
  const skipped = new Set();
  const heading = h('h1', {}, 'Review queue');
  const count = h('p', { class: 'queue-count', 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'assertive' });
  const stage = h('div');
  let current;

  const pick = () => queue.find((j) => !skipped.has(j.id)) ?? queue[0];

  function drawCount() {
    fill(
      count,
      `${queue.length} waiting`,
      channel ? ` in ${channel}` : '',
      skipped.size ? ` (${skipped.size} skipped)` : '',
    );
  }

  async function decide(label, fn) {
    if (!current) return;
    const id = current.id;
    fill(status);
    try {
      await fn(id);
      fill(status, h('p', { class: 'ok-text' }, `${label} ${current.relPath}.`));
      queue = queue.filter((j) => j.id !== id);
      draw();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  const approve = () => decide('Approved', (id) => api.post(`/api/jobs/${id}/approve`));
  const reject = (reason) => decide('Rejected', (id) => api.post(`/api/jobs/${id}/reject`, { reason }));
  const next = () => {
    if (!current) return;
    skipped.add(current.id);
    if (queue.every((j) => skipped.has(j.id))) skipped.clear();
    draw();
  };

  function draw() {
    drawCount();
    current = pick();
    if (!current) {
      fill(stage, h('p', { class: 'empty' }, 'Nothing waits for review.'));
      return;
    }
    const j = current;
    const reason = h('input', {
      id: 'review-reason',
      placeholder: 'e.g. face too dark',
      autocomplete: 'off',
    });
    const adjust = strengthForm('rv');
    const adjustPanel = h(
      'form',
      {
        class: 'panel',
        hidden: true,
        id: 'review-adjust',
        onsubmit: (ev) => {
          ev.preventDefault();
          void decide('Sent for reprocessing:', (id) =>
            api.post(`/api/jobs/${id}/reprocess`, { settings: adjust.settings() }),
          );
        },
      },
      adjust.el,
      h('button', { type: 'submit' }, 'Reprocess with these strengths'),
    );
    const v = j.verdict ?? {};
    const pass = v.pass ?? v.passed;
    fill(
      stage,
      h(
        'article',
        { class: 'review-item', 'data-job': j.id, 'aria-labelledby': 'review-file' },
        h(
          'div',
          { class: 'job-head' },
          h('a', { id: 'review-file', class: 'file', href: `#/jobs/${encodeURIComponent(j.id)}` }, j.relPath),
          h('span', {}, j.channel),
          h('span', { class: 'muted' }, 'waiting since ', time(j.updated?.ts ?? j.submitted?.ts)),
        ),
        j.message ? h('p', { class: 'review-message' }, j.message) : null,
        h(
          'div',
          { class: `verdict ${pass ? 'pass' : 'fail'}` },
          h(
            'strong',
            {},
            pass === undefined ? 'Quality verdict' : pass ? 'Quality check passed' : 'Quality check rejected',
          ),
          (v.reasons ?? []).length
            ? h(
                'ul',
                {},
                v.reasons.map((r) => h('li', {}, String(r))),
              )
            : null,
        ),
        compare(
          `/api/jobs/${encodeURIComponent(j.id)}/previews/before`,
          `/api/jobs/${encodeURIComponent(j.id)}/previews/after`,
          {
            label: j.relPath,
          },
        ),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', id: 'review-approve', onclick: approve, 'aria-keyshortcuts': 'A' },
            'Approve ',
            h('kbd', {}, 'A'),
          ),
          h(
            'form',
            {
              class: 'inline',
              onsubmit: (ev) => {
                ev.preventDefault();
                void reject(reason.value.trim() || 'rejected by the reviewer');
              },
            },
            h('label', { for: 'review-reason' }, 'Reason'),
            reason,
            h(
              'button',
              { type: 'submit', class: 'danger', id: 'review-reject', 'aria-keyshortcuts': 'R' },
              'Reject ',
              h('kbd', {}, 'R'),
            ),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              'aria-keyshortcuts': 'E',
              'aria-controls': 'review-adjust',
              onclick: () => {
                adjustPanel.hidden = !adjustPanel.hidden;
                if (!adjustPanel.hidden) adjustPanel.querySelector('input')?.focus();
              },
            },
            'Adjust ',
            h('kbd', {}, 'E'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              id: 'review-next',
              onclick: next,
              'aria-keyshortcuts': 'N',
            },
            'Next ',
            h('kbd', {}, 'N'),
          ),
        ),
        adjustPanel,
        h(
          'p',
          { class: 'small muted' },
          'Keys: A approve · R type a reason and reject · E adjust strengths · N next',
        ),
      ),
    );
  }

  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (
      t instanceof HTMLElement &&
      (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
    )
      return;
    const k = ev.key.toLowerCase();
    if (k === 'a') approve();
    else if (k === 'n') next();
    else if (k === 'r') document.getElementById('review-reason')?.focus();
    else if (k === 'e') stage.querySelector('[aria-controls="review-adjust"]')?.click();
    else return;
    ev.preventDefault();
  };
  document.addEventListener('keydown', onKey);

  async function load() {
    try {
      const r = await api.get('/api/review', { channel });
      queue = r.jobs;
      // Keep the job on screen (and a half-typed reason) when only the rest of the queue changed.
      if (current && queue.some((j) => j.id === current.id)) drawCount();
      else draw();
    } catch (err) {
      fill(stage, errorBox(err));
    }
  }

  let again;
  const undo = subscribe((rec) => {
    if (rec.job === undefined) return;
    const inQueue = queue.some((j) => j.id === rec.job.id);
    if (rec.job.state === 'review' || inQueue) {
      clearTimeout(again);
      again = setTimeout(() => void load(), 250);
    }
  });
  void load();
  return {
    el: h('section', { class: 'review' }, heading, count, status, stage),
    dispose: () => {
      undo();
      clearTimeout(again);
      document.removeEventListener('keydown', onKey);
    },
  };
}
