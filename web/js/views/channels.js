// Administration of channels: the list (paused, standby with its reason, job counts), a channel's
// page with the settings form generated from the schema (create and edit; the server's field
// errors beside their fields; a stale revision explained), pause/resume, and its history from the log.
import { api } from '../api.js';
import { dateTime, errorBox, fill, h } from '../dom.js';
import { subscribe } from '../live.js';
import { mergePatch, schemaForm } from '../schema-form.js';

const HISTORY_TYPES = [
  'ChannelCreated',
  'ChannelUpdated',
  'ChannelPaused',
  'ChannelResumed',
  'ChannelStandbyEntered',
  'ChannelStandbyLeft',
  'ChannelDeleted',
];

let schemaCache;
/** The channel settings JSON Schema (docs/http.md), or undefined when the server has none. */
async function settingsSchema() {
  schemaCache ??= api.get('/api/schema/channel-settings').catch(async () => {
    const doc = await api.get('/api/openapi.json').catch(() => undefined);
    const comps = doc?.components?.schemas ?? {};
    return (
      comps.ChannelSettings ??
      Object.values(comps).find((s) => (s.oneOf ?? []).some((b) => b.properties?.type?.const === 'process'))
    );
  });
  return schemaCache;
}

function channelState(c) {
  if (c.standby) return h('span', { class: 'badge warn', title: c.standby.reason ?? '' }, 'standby');
  if (c.paused) return h('span', { class: 'badge muted' }, 'paused');
  return h('span', { class: 'badge ok' }, 'active');
}

export function channelsView({ me }) {
  const body = h('tbody');
  const status = h('div');
  const counts = new Map();

  async function load() {
    try {
      const [r, stats] = await Promise.all([
        api.get('/api/channels'),
        api.get('/api/stats').catch(() => undefined),
      ]);
      for (const [name, c] of Object.entries(stats?.channels ?? {})) counts.set(name, c.states ?? c);
      fill(
        body,
        r.channels.map((c) =>
          h(
            'tr',
            { 'data-channel': c.name },
            h('th', { scope: 'row' }, h('a', { href: `#/channels/${encodeURIComponent(c.name)}` }, c.name)),
            h('td', {}, c.settings?.type ?? ''),
            h(
              'td',
              {},
              channelState(c),
              c.standby?.reason ? h('div', { class: 'small' }, c.standby.reason) : null,
              c.paused && c.pauseReason ? h('div', { class: 'small muted' }, c.pauseReason) : null,
            ),
            h(
              'td',
              { class: 'small' },
              Object.entries(counts.get(c.name) ?? {})
                .filter(([, n]) => n > 0)
                .map(([s, n]) => `${s} ${n}`)
                .join(' · '),
            ),
            h('td', {}, h('a', { href: `#/jobs?channel=${encodeURIComponent(c.name)}` }, 'jobs')),
            h('td', { class: 'num' }, `rev ${c.revision}`),
          ),
        ),
      );
      if (r.channels.length === 0)
        body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No channels yet.')));
    } catch (err) {
      fill(status, errorBox(err));
    }
  }
  let again;
  const undo = subscribe((rec) => {
    if (rec.channel === undefined && !String(rec.type).startsWith('Channel')) return;
    clearTimeout(again);
    again = setTimeout(() => void load(), 200);
  });
  void load();
  return {
    el: h(
      'section',
      {},
      h('h1', {}, 'Channels'),
      me.role === 'admin'
        ? h('p', {}, h('a', { class: 'button', href: '#/channels/new', id: 'new-channel' }, 'New channel'))
        : null,
      status,
      h(
        'table',
        { 'aria-label': 'Channels' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', 'Type', 'State', 'Jobs', '', 'Revision'].map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        body,
      ),
    ),
    dispose: () => (undo(), clearTimeout(again)),
  };
}

export function channelView({ name, me }) {
  const creating = name === undefined;
  const root = h('section', { class: 'channel' }, h('h1', {}, creating ? 'New channel' : `Channel ${name}`));
  const status = h('div', { 'aria-live': 'assertive' });
  const head = h('div');
  const formBox = h('div');
  const history = h('div');
  root.append(head, status, formBox, history);
  let channel;

  async function pauseResume() {
    fill(status);
    try {
      if (channel.paused) await api.post(`/api/channels/${encodeURIComponent(name)}/resume`);
      else {
        const reason = document.getElementById('pause-reason')?.value.trim();
        await api.post(`/api/channels/${encodeURIComponent(name)}/pause`, reason ? { reason } : {});
      }
      await load();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  function drawHead() {
    if (creating) return;
    fill(
      head,
      h(
        'div',
        { class: 'job-head' },
        channelState(channel),
        h('span', {}, `revision ${channel.revision}`),
        channel.updated
          ? h(
              'span',
              { class: 'muted' },
              'changed ',
              dateTime(channel.updated.ts),
              ' by ',
              channel.updated.user ?? channel.updated.by,
            )
          : null,
        h('a', { href: `#/jobs?channel=${encodeURIComponent(name)}` }, 'its jobs'),
      ),
      channel.standby
        ? h(
            'p',
            { class: 'warn-text' },
            'Standby: ',
            channel.standby.reason ?? 'its input folder cannot be watched',
          )
        : null,
      channel.paused
        ? h(
            'p',
            { class: 'muted' },
            'Paused',
            channel.pauseReason ? `: ${channel.pauseReason}` : '',
            '. New files wait in the hotfolder.',
          )
        : null,
      me.role !== 'viewer'
        ? h(
            'div',
            { class: 'actions' },
            channel.paused
              ? null
              : [
                  h('label', { for: 'pause-reason' }, 'Reason'),
                  h('input', { id: 'pause-reason', placeholder: 'optional' }),
                ],
            h(
              'button',
              { type: 'button', id: 'pause-resume', onclick: pauseResume },
              channel.paused ? 'Resume' : 'Pause',
            ),
          )
        : null,
    );
  }

  async function drawForm() {
    const schema = await settingsSchema();
    const nameInput = h('input', {
      id: 'channel-name',
      required: true,
      pattern: '[A-Za-z0-9._-]+',
      autocomplete: 'off',
    });
    const nameErr = h('div', { class: 'field-error', role: 'alert', hidden: true });
    const general = h('div', { 'aria-live': 'assertive' });
    let form;
    let jsonBox;
    if (schema)
      form = schemaForm(schema, {
        values: channel?.settings ?? { type: 'process' },
        idPrefix: 'cs',
        fixedType: channel?.settings?.type,
      });
    else {
      jsonBox = h('textarea', { id: 'channel-json', rows: 16 });
      jsonBox.value = JSON.stringify(channel?.settings ?? { type: 'process' }, null, 2);
    }
    const readOnly = me.role !== 'admin';
    const submit = h(
      'button',
      { type: 'submit', id: 'channel-save', disabled: readOnly },
      creating ? 'Create channel' : 'Save changes',
    );
    fill(
      formBox,
      h(
        'form',
        {
          class: 'panel channel-form',
          'aria-label': 'Channel settings',
          novalidate: true,
          onsubmit: async (ev) => {
            ev.preventDefault();
            fill(general);
            nameErr.hidden = true;
            let settings;
            try {
              settings = form ? form.read() : JSON.parse(jsonBox.value);
            } catch (err) {
              fill(
                general,
                errorBox({ code: 'E_JSON', message: `the settings are not JSON: ${err.message}` }),
              );
              return;
            }
            submit.disabled = true;
            try {
              if (creating) {
                const c = await api.post('/api/channels', { name: nameInput.value.trim(), settings });
                location.hash = `/channels/${encodeURIComponent(c.name)}`;
              } else {
                const patch = mergePatch(channel.settings, settings);
                if (Object.keys(patch).length === 0) {
                  fill(general, h('p', { class: 'muted' }, 'Nothing changed.'));
                  return;
                }
                channel = await api.patch(`/api/channels/${encodeURIComponent(name)}`, {
                  revision: channel.revision,
                  patch,
                });
                fill(general, h('p', { class: 'ok-text' }, `Saved: revision ${channel.revision}.`));
                drawHead();
                void drawHistory();
              }
            } catch (err) {
              const fields = [...(err.fields ?? [])];
              // "invalid settings at channel NAME: path.to.key: message" (the catalogue's template)
              const m = /invalid settings at (?:channel [^:]+: )?([\w.[\]-]+): (.*)/.exec(err.message ?? '');
              if (fields.length === 0 && m) fields.push({ path: m[1].trim(), message: m[2] });
              const nameField = fields.find((f) => f.path === 'name');
              if (nameField) {
                nameErr.hidden = false;
                nameErr.textContent = nameField.message;
              }
              const rest = form ? form.showErrors(fields.filter((f) => f !== nameField)) : fields;
              fill(
                general,
                errorBox(err),
                rest.length && fields.length
                  ? h(
                      'ul',
                      {},
                      rest.map((f) => h('li', {}, `${f.path}: ${f.message}`)),
                    )
                  : null,
              );
            } finally {
              submit.disabled = readOnly;
            }
          },
        },
        h('h2', {}, 'Settings'),
        creating
          ? h(
              'div',
              { class: 'field' },
              h('label', { for: 'channel-name' }, 'Name'),
              nameInput,
              h('div', { class: 'help' }, 'letters, digits, . _ -'),
              nameErr,
            )
          : null,
        form ? form.el : [h('label', { for: 'channel-json' }, 'Settings (JSON)'), jsonBox],
        general,
        submit,
      ),
    );
  }

  async function drawHistory() {
    if (creating) return;
    try {
      const r = await api.get('/api/events', { type: HISTORY_TYPES.join(','), limit: 1000 });
      const mine = r.events.filter((e) => e.data?.channel === name).reverse();
      fill(
        history,
        h('h2', {}, 'History'),
        h(
          'table',
          { class: 'history', 'aria-label': 'Channel history' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['When', 'Who', 'What', 'Details'].map((x) => h('th', { scope: 'col' }, x)),
            ),
          ),
          h(
            'tbody',
            {},
            mine.map((e) =>
              h(
                'tr',
                {},
                h('td', {}, dateTime(e.ts)),
                h('td', {}, e.data?.user ?? e.user ?? '', e.data?.user || e.user ? ' via ' : '', e.by),
                h('td', {}, e.type.replace(/^Channel/, '')),
                h(
                  'td',
                  { class: 'small' },
                  e.data?.changed?.join(', ') ?? e.data?.reason ?? '',
                  ` (seq ${e.seq})`,
                ),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      fill(history, errorBox(err));
    }
  }

  async function load() {
    try {
      if (!creating) channel = await api.get(`/api/channels/${encodeURIComponent(name)}`);
      drawHead();
      await drawForm();
      await drawHistory();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }
  void load();
  return { el: root };
}
