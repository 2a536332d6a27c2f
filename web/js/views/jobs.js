// The Inspector's job list: per channel and state, with a search over file names and ids, updated
// live from the event stream (each record carries the job's summary after it). The filters live in
// the route (#/jobs?channel=…&state=…&q=…), so a reload or a failover keeps them.
import { api } from '../api.js';
import { bytes, errorBox, fill, h, stateBadge, time } from '../dom.js';
import { subscribe } from '../live.js';

const STATES = ['submitted', 'assigned', 'processing', 'review', 'completed', 'failed', 'cancelled'];

export function jobsView({ query }) {
  const channel = query.get('channel') ?? '';
  const state = query.get('state') ?? '';
  let search = query.get('q') ?? '';
  const jobs = new Map(); // id → summary, newest first by submitted.seq
  let total = 0;

  const setRoute = (patch) => {
    const q = new URLSearchParams({ channel, state, q: search, ...patch });
    for (const [k, v] of [...q.entries()]) if (v === '') q.delete(k);
    const s = q.toString();
    history.replaceState(null, '', `#/jobs${s ? `?${s}` : ''}`);
  };

  const channelSelect = h(
    'select',
    {
      id: 'filter-channel',
      onchange: () =>
        (location.hash = `/jobs?${new URLSearchParams({ channel: channelSelect.value, state, q: search })}`),
    },
    h('option', { value: '' }, 'all channels'),
  );
  const stateSelect = h(
    'select',
    {
      id: 'filter-state',
      onchange: () =>
        (location.hash = `/jobs?${new URLSearchParams({ channel, state: stateSelect.value, q: search })}`),
    },
    h('option', { value: '' }, 'all states'),
    STATES.map((s) => h('option', { value: s, selected: s === state }, s)),
  );
  const searchBox = h('input', {
    id: 'filter-search',
    type: 'search',
    placeholder: 'file name or job id',
    value: search,
    oninput: () => {
      search = searchBox.value.trim();
      setRoute({ q: search });
      draw();
    },
  });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody');
  const status = h('div');
  const table = h(
    'table',
    { class: 'jobs', 'aria-label': 'Jobs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['File', 'Channel', 'State', 'Instance', 'Submitted', 'Updated', 'Size'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    body,
  );

  const matches = (j) =>
    (channel === '' || j.channel === channel) &&
    (state === '' || j.state === state) &&
    (search === '' || j.relPath.toLowerCase().includes(search.toLowerCase()) || j.id.includes(search));

  function row(j) {
    return h(
      'tr',
      { 'data-job': j.id, 'data-state': j.state },
      h(
        'td',
        {},
        h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.relPath),
        j.error
          ? h('div', { class: 'small error-text' }, j.error.code ?? '', ' ', j.error.message ?? '')
          : null,
      ),
      h('td', {}, j.channel),
      h(
        'td',
        {},
        stateBadge(j.state),
        j.attempt > 1 ? h('span', { class: 'small muted' }, ` attempt ${j.attempt}`) : null,
      ),
      h('td', {}, j.instanceId ?? ''),
      h('td', {}, time(j.submitted?.ts)),
      h('td', {}, time(j.updated?.ts)),
      h('td', { class: 'num' }, bytes(j.bytes)),
    );
  }

  function draw() {
    const shown = [...jobs.values()]
      .filter(matches)
      .sort((a, b) => (b.submitted?.seq ?? 0) - (a.submitted?.seq ?? 0));
    fill(body, shown.slice(0, 300).map(row));
    fill(
      summary,
      `${shown.length} shown`,
      total > jobs.size ? ` (the newest ${jobs.size} of ${total} loaded)` : '',
      search ? ` matching “${search}”` : '',
    );
    if (shown.length === 0) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No jobs yet.')));
  }

  async function load() {
    try {
      const [list, channels] = await Promise.all([
        api.get('/api/jobs', { channel, state, limit: 500 }),
        api.get('/api/channels'),
      ]);
      total = list.total;
      for (const j of list.jobs) jobs.set(j.id, j);
      for (const c of channels.channels)
        channelSelect.append(h('option', { value: c.name, selected: c.name === channel }, c.name));
      draw();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  const undo = subscribe((rec) => {
    const j = rec.job;
    if (j === undefined) return;
    if ((channel !== '' && j.channel !== channel) || (state !== '' && j.state !== state)) {
      if (jobs.delete(j.id)) draw();
      return;
    }
    jobs.set(j.id, j);
    draw();
    const tr = body.querySelector(`tr[data-job="${CSS.escape(j.id)}"]`);
    tr?.classList.add('flash');
  });

  void load();
  const title = state === 'failed' ? 'Bad folder' : 'Inspector';
  return {
    el: h(
      'section',
      {},
      h('h1', {}, title, channel ? ` · ${channel}` : ''),
      state === 'failed'
        ? h(
            'p',
            { class: 'muted' },
            'Jobs that failed: their originals are in the channel’s bad folder with an error report. Open one to retry it.',
          )
        : null,
      h(
        'div',
        { class: 'filters', role: 'search' },
        h('label', { for: 'filter-channel' }, 'Channel'),
        channelSelect,
        h('label', { for: 'filter-state' }, 'State'),
        stateSelect,
        h('label', { for: 'filter-search' }, 'Search'),
        searchBox,
      ),
      summary,
      status,
      table,
    ),
    dispose: undo,
  };
}
