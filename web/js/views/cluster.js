// The cluster: every instance (state, incarnation, load, heartbeat age, storage health, its HTTP
// link), the coordinator and term, warnings such as an instance unreachable on port 7900, and the
// throughput chart. Refreshed every two seconds.
import { api, rememberCluster } from '../api.js';
import { throughputChart } from '../charts.js';
import { dateTime, errorBox, fill, h, ms } from '../dom.js';

function storage(i) {
  const s = i.storage;
  if (s === undefined) return '';
  if (typeof s === 'string') return s;
  if (s.ok === false || s.stalled)
    return h(
      'span',
      { class: 'badge warn' },
      'stalled',
      s.lastOkAgeMs !== undefined ? ` ${ms(s.lastOkAgeMs)}` : '',
    );
  return h('span', { class: 'badge ok' }, 'ok');
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
        ),
      );
      const warn = [...(c.warnings ?? []), ...(c.instances ?? []).flatMap((i) => i.warnings ?? [])];
      fill(
        warnings,
        warn.length
          ? h(
              'ul',
              { class: 'warnings', role: 'alert' },
              warn.map((w) => h('li', {}, typeof w === 'string' ? w : (w.message ?? JSON.stringify(w)))),
            )
          : null,
      );
      fill(
        body,
        (c.instances ?? []).map((i) =>
          h(
            'tr',
            { 'data-instance': i.instanceId, 'data-status': i.status },
            h(
              'th',
              { scope: 'row' },
              i.instanceId,
              i.instanceId === c.instanceId ? h('span', { class: 'muted small' }, ' (this one)') : null,
            ),
            h(
              'td',
              {},
              h('span', { class: `badge inst-${i.status}` }, i.status),
              coord && (coord.instanceId ?? coord) === i.instanceId
                ? h('span', { class: 'badge ok' }, 'coordinator')
                : null,
            ),
            h('td', { class: 'num' }, i.inc ?? ''),
            h('td', {}, i.host ?? ''),
            h(
              'td',
              { class: 'num' },
              i.load !== undefined ? String(typeof i.load === 'number' ? i.load.toFixed(2) : i.load) : '',
              i.slots !== undefined ? ` / ${i.slots} slots` : '',
              i.running !== undefined ? ` · ${i.running} running` : '',
            ),
            h('td', { class: 'num' }, i.heartbeatAgeMs !== undefined ? ms(i.heartbeatAgeMs) : ''),
            h('td', {}, storage(i)),
            h('td', { class: 'small' }, dateTime(i.started?.ts ?? i.started)),
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
              'Started',
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
