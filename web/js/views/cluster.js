// The cluster: every instance (observed state, incarnation, load, heartbeat age, storage health,
// whether its cluster port answers, its HTTP link), the coordinator and term, the warnings naming
// the fix (an instance unreachable on port 7900 …), and the throughput chart. Refreshed every 2 s.
import { api, rememberCluster } from '../api.js';
import { throughputChart } from '../charts.js';
import { errorBox, fill, h, ms } from '../dom.js';

function storage(i) {
  const s = i.storage;
  if (s === undefined || s === null)
    return h('span', { class: 'muted', 'data-storage': 'unknown' }, 'not observed');
  if (s.stalled)
    return h(
      'span',
      { class: 'badge warn', 'data-storage': 'stalled' },
      'stalled',
      ` (last answer ${ms(s.lastOkAgeMs)} ago)`,
    );
  return h('span', { class: 'badge ok', 'data-storage': 'ok' }, 'ok');
}

function port(i) {
  if (i.port === undefined) return '';
  return i.port.reachable
    ? h('span', { class: 'badge ok', 'data-port': 'reachable' }, 'answers')
    : h('span', { class: 'badge warn', 'data-port': 'unreachable', title: i.port.reason ?? '' }, 'no answer');
}

/** "0.50 (1 of 2 slots)": the load from its heartbeat, and the jobs it holds per the log. */
function loadCell(i) {
  const parts = [];
  if (typeof i.load === 'number') parts.push(h('span', { class: 'load' }, i.load.toFixed(2)));
  parts.push(` · ${i.running ?? 0} of ${i.slots ?? '?'} slots busy`);
  return parts;
}

/** The observed state where there is one (running, storage stalled, unreachable …), else the log's. */
function stateOf(i) {
  return i.state ?? i.status;
}

export function clusterView() {
  const summary = h('div', { 'aria-live': 'polite' });
  const warnings = h('div');
  const body = h('tbody');
  const chart = h('div');
  const status = h('div');

  async function load() {
    try {
      const c = await api.get('/api/cluster');
      rememberCluster(c);
      const coord = c.coordinator;
      fill(
        summary,
        h(
          'dl',
          { class: 'facts inline' },
          h('dt', {}, 'this page talks to'),
          h('dd', { id: 'cluster-here' }, c.instanceId),
          h('dt', {}, 'coordinator'),
          h('dd', { id: 'cluster-coordinator' }, coord ? `${coord.instanceId ?? coord}` : 'none'),
          h('dt', {}, 'term'),
          h('dd', {}, c.term ?? coord?.term ?? ''),
          h('dt', {}, 'log seq'),
          h('dd', {}, c.seq ?? ''),
          h('dt', {}, 'health'),
          h(
            'dd',
            { id: 'cluster-health' },
            c.healthy === undefined
              ? 'not observed'
              : c.healthy
                ? 'healthy'
                : `${(c.warnings ?? []).length} warning(s)`,
            c.observedAgeMs !== undefined
              ? h('span', { class: 'muted small' }, ` (observed ${ms(c.observedAgeMs)} ago)`)
              : null,
          ),
        ),
      );
      const warn = c.warnings ?? [];
      fill(
        warnings,
        warn.length
          ? [
              h('h2', {}, 'Warnings'),
              h(
                'ul',
                { class: 'warnings', id: 'cluster-warnings' },
                warn.map((w) =>
                  h(
                    'li',
                    { 'data-code': w.code ?? '', 'data-about': w.instance ?? '' },
                    w.message ?? String(w),
                  ),
                ),
              ),
            ]
          : null,
      );
      fill(
        body,
        (c.instances ?? []).map((i) =>
          h(
            'tr',
            { 'data-instance': i.instanceId, 'data-status': i.status, 'data-state': stateOf(i) },
            h(
              'th',
              { scope: 'row' },
              i.instanceId,
              i.instanceId === c.instanceId ? h('span', { class: 'muted small' }, ' (this one)') : null,
            ),
            h(
              'td',
              {},
              h('span', { class: `badge inst-${String(stateOf(i)).replace(/ /g, '-')}` }, stateOf(i)),
              coord && (coord.instanceId ?? coord) === i.instanceId
                ? h('span', { class: 'badge ok' }, 'coordinator')
                : null,
            ),
            h('td', { class: 'num' }, i.inc ?? ''),
            h('td', {}, i.host ?? ''),
            h('td', { class: 'num' }, loadCell(i)),
            h('td', { class: 'num' }, typeof i.heartbeatAgeMs === 'number' ? ms(i.heartbeatAgeMs) : ''),
            h('td', {}, storage(i)),
            h('td', {}, port(i)),
            h(
              'td',
              {},
              i.httpUrl ? h('a', { href: new URL('/ui/#/cluster', i.httpUrl).href }, i.httpUrl) : '',
            ),
          ),
        ),
      );
      const stats = await api.get('/api/stats', { bucketMs: 60000, buckets: 30 }).catch(() => undefined);
      fill(
        chart,
        stats?.series
          ? [h('h2', {}, 'Throughput (per minute, last 30 minutes)'), throughputChart(stats.series, 60000)]
          : null,
      );
      fill(status);
    } catch (err) {
      fill(status, errorBox(err));
    }
  }
  void load();
  const timer = setInterval(() => void load(), 2000);
  return {
    el: h(
      'section',
      {},
      h('h1', {}, 'Cluster'),
      status,
      summary,
      warnings,
      h(
        'table',
        { 'aria-label': 'Instances' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Instance',
              'State',
              'Incarnation',
              'Host',
              'Load',
              'Heartbeat age',
              'Storage',
              'Cluster port',
              'Web',
            ].map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        body,
      ),
      chart,
    ),
    dispose: () => clearInterval(timer),
  };
}
