// Administration of users and roles: the list with each user's role (changeable) and tokens, add a
// user, remove one (the server refuses to remove the last admin and says so).
import { api } from '../api.js';
import { errorBox, fill, h } from '../dom.js';

const ROLES = ['admin', 'operator', 'viewer'];

export function usersView({ me }) {
  const status = h('div', { 'aria-live': 'assertive' });
  const body = h('tbody');

  async function act(fn, done) {
    fill(status);
    try {
      await fn();
      if (done) fill(status, h('p', { class: 'ok-text' }, done));
      await load();
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  async function load() {
    try {
      const r = await api.get('/api/users');
      fill(
        body,
        r.users.map((u) => {
          const id = `role-${u.user}`;
          const role = h(
            'select',
            {
              id,
              onchange: () =>
                void act(
                  () => api.patch(`/api/users/${encodeURIComponent(u.user)}`, { role: role.value }),
                  `${u.user} is now ${role.value}.`,
                ),
            },
            ROLES.map((x) => h('option', { value: x, selected: x === u.role }, x)),
          );
          return h(
            'tr',
            { 'data-user': u.user },
            h(
              'th',
              { scope: 'row' },
              u.user,
              u.user === me.user ? h('span', { class: 'muted small' }, ' (you)') : null,
            ),
            h('td', {}, h('label', { for: id, class: 'visually-hidden' }, `role of ${u.user}`), role),
            h('td', { class: 'small' }, (u.tokens ?? []).map((t) => t.label ?? t.id).join(', ')),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  onclick: () => {
                    if (confirm(`Remove ${u.user}?`))
                      void act(
                        () => api.del(`/api/users/${encodeURIComponent(u.user)}`),
                        `${u.user} removed.`,
                      );
                  },
                },
                'Remove',
              ),
            ),
          );
        }),
      );
    } catch (err) {
      fill(status, errorBox(err));
    }
  }

  const name = h('input', {
    id: 'new-user',
    required: true,
    autocomplete: 'off',
    pattern: '[A-Za-z0-9._-]{1,64}',
  });
  const pass = h('input', {
    id: 'new-password',
    type: 'password',
    required: true,
    minlength: 8,
    autocomplete: 'new-password',
  });
  const role = h(
    'select',
    { id: 'new-role' },
    ROLES.map((x) => h('option', { value: x, selected: x === 'operator' }, x)),
  );
  const add = h(
    'form',
    {
      class: 'panel inline-form',
      'aria-labelledby': 'add-user-title',
      onsubmit: (ev) => {
        ev.preventDefault();
        void act(
          () => api.post('/api/users', { user: name.value.trim(), role: role.value, password: pass.value }),
          `${name.value.trim()} added.`,
        ).then(() => {
          name.value = '';
          pass.value = '';
        });
      },
    },
    h('h2', { id: 'add-user-title' }, 'Add a user'),
    h('label', { for: 'new-user' }, 'User'),
    name,
    h('label', { for: 'new-password' }, 'Password (8 or more characters)'),
    pass,
    h('label', { for: 'new-role' }, 'Role'),
    role,
    h('button', { type: 'submit' }, 'Add'),
  );
  void load();
  return {
    el: h(
      'section',
      {},
      h('h1', {}, 'Users and roles'),
      h(
        'p',
        { class: 'muted' },
        'admin: everything · operator: jobs, pause and resume, the review queue · viewer: read only',
      ),
      status,
      h(
        'table',
        { 'aria-label': 'Users' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['User', 'Role', 'Tokens', ''].map((x) => h('th', { scope: 'col' }, x)),
          ),
        ),
        body,
      ),
      add,
    ),
  };
}
