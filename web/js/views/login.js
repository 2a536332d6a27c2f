// The login page: user and password, the server's answer shown in words (wrong password, too many
// attempts), then on to the page the user wanted.
import { request } from '../api.js';
import { errorBox, h } from '../dom.js';

export function loginView({ to, onLogin }) {
  const status = h('div', { 'aria-live': 'assertive' });
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: async (ev) => {
        ev.preventDefault();
        button.disabled = true;
        status.replaceChildren();
        try {
          const who = await request('POST', '/api/login', {
            body: { user: user.value.trim(), password: password.value },
            quiet401: true,
          });
          await onLogin(who, to);
        } catch (err) {
          status.append(errorBox(err));
          password.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', {}, 'darkroom'),
    h('p', { class: 'muted' }, 'Log in to the Inspector, the review queue and the administration.'),
    h('label', { for: 'login-user' }, 'User'),
    user,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    status,
    button,
  );
  queueMicrotask(() => user.focus());
  return { el: h('section', { class: 'login-page' }, form) };
}
