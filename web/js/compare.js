// Before and after: side by side, and one over the other with a slider between them (the range input
// is the keyboard control: arrows move it).
import { h } from './dom.js';

export function compare(beforeUrl, afterUrl, { label = 'photo' } = {}) {
  const side = h(
    'div',
    { class: 'side-by-side' },
    h(
      'figure',
      {},
      h('img', { src: beforeUrl, alt: `${label} before`, class: 'before' }),
      h('figcaption', {}, 'Before'),
    ),
    afterUrl
      ? h(
          'figure',
          {},
          h('img', { src: afterUrl, alt: `${label} after`, class: 'after' }),
          h('figcaption', {}, 'After'),
        )
      : h(
          'figure',
          { class: 'missing' },
          h('p', { class: 'muted' }, 'No result yet.'),
          h('figcaption', {}, 'After'),
        ),
  );
  if (!afterUrl) return side;
  const overlay = h('div', { class: 'overlay-after' }, h('img', { src: afterUrl, alt: '' }));
  const slider = h('input', {
    type: 'range',
    min: 0,
    max: 100,
    value: 50,
    id: `slider-${Math.random().toString(36).slice(2)}`,
    class: 'compare-slider',
    'aria-label': 'Slide between before (left) and after (right)',
    oninput: () => {
      overlay.style.clipPath = `inset(0 0 0 ${slider.value}%)`;
      handle.style.left = `${slider.value}%`;
    },
  });
  const handle = h('div', { class: 'handle' });
  overlay.style.clipPath = 'inset(0 0 0 50%)';
  handle.style.left = '50%';
  const stack = h(
    'div',
    { class: 'slider-compare' },
    h(
      'div',
      { class: 'stack' },
      h('img', { src: beforeUrl, alt: `${label}: before on the left of the line, after on the right` }),
      overlay,
      handle,
    ),
    h('label', { for: slider.id, class: 'small muted' }, 'before ◀ slide ▶ after'),
    slider,
  );
  return h('div', { class: 'compare' }, side, stack);
}
