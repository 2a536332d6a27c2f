// The shell: boot (session handoff, login), hash routing, the top bar (navigation, the review count,
// the instance this page talks to, the user) and failover to another live instance.
import {
  api,
  continueUrl,
  knownCluster,
  on,
  otherLiveInstances,
  rememberCluster,
  keepHandoff,
  request,
  thisInstanceReady,
} from './api.js';
import { fill, h } from './dom.js';
import { startLive, subscribe } from './live.js';
import { channelsView, channelView } from './views/channels.js';
import { clusterView } from './views/cluster.js';
import { jobView } from './views/job.js';
import { jobsView } from './views/jobs.js';
import { loginView } from './views/login.js';
import { reviewView } from './views/review.js';
import { usersView } from './views/users.js';

const main = document.getElementById('main');
const top = document.getElementById('top');
const notice = document.getElementById('notice');

/** The signed-in user {user, role} or undefined. */
let me;
let current; // {dispose?} of the view on screen
let reviewCount = 0;

const routes = [
  [/^\/login$/, (_m, q) => loginView({ to: q.get('to') ?? '/jobs', onLogin })],
  [/^\/jobs\/([^/]+)$/, (m) => jobView({ id: decodeURIComponent(m[1]), me })],
  [/^\/jobs$/, (_m, q) => jobsView({ query: q, me })],
  [/^\/review$/, (_m, q) => reviewView({ query: q, me })],
  [/^\/channels$/, () => channelsView({ me })],
  [/^\/channels\/new$/, () => channelView({ name: undefined, me })],
  [/^\/channels\/([^/]+)$/, (m) => channelView({ name: decodeURIComponent(m[1]), me })],
  [/^\/users$/, () => usersView({ me })],
  [/^\/cluster$/, () => clusterView({ me })],
];

/** The current hash route, e.g. "/jobs?state=failed". */
export function currentRoute() {
  const r = location.hash.replace(/^#/, '');
  return r.startsWith('/') ? r : '/jobs';
}

export function navigate(route, { replace = false } = {}) {
  if (replace) location.replace(`#${route}`);
  else location.hash = route;
}

function say(text, kind = 'info') {
  notice.hidden = text === '';
  notice.className = `notice ${kind}`;
  fill(notice, text);
}

async function render() {
  const route = currentRoute();
  const [path, qs] = route.split('?');
  const query = new URLSearchParams(qs ?? '');
  if (me === undefined && path !== '/login') {
    navigate(`/login?to=${encodeURIComponent(route)}`, { replace: true });
    return;
  }
  current?.dispose?.();
  current = undefined;
  for (const [re, make] of routes) {
    const m = path.match(re);
    if (!m) continue;
    const view = make(m, query);
    current = view;
    fill(main, view.el);
    renderTop(path);
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    document.title = `${heading?.textContent ?? 'darkroom'} · darkroom`;
    return;
  }
  fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, route)));
}

function renderTop(path) {
  top.hidden = me === undefined;
  if (me === undefined) return;
  const c = knownCluster();
  const link = (href, label, extra) =>
    h(
      'a',
      {
        href: `#${href}`,
        'aria-current': path === href && !currentRoute().includes('state=failed') ? 'page' : false,
      },
      label,
      extra,
    );
  fill(
    top,
    h('span', { class: 'brand' }, 'darkroom'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      link('/jobs', 'Inspector'),
      link(
        '/review',
        'Review',
        h(
          'span',
          { class: 'count', id: 'review-count', 'aria-label': `${reviewCount} waiting` },
          reviewCount,
        ),
      ),
      h(
        'a',
        {
          href: '#/jobs?state=failed',
          'aria-current': currentRoute().startsWith('/jobs?state=failed') ? 'page' : false,
        },
        'Bad folder',
      ),
      link('/channels', 'Channels'),
      me.role === 'admin' ? link('/users', 'Users') : null,
      link('/cluster', 'Cluster'),
    ),
    h(
      'span',
      { class: 'who' },
      h(
        'span',
        { id: 'instance', title: 'the instance this page talks to' },
        'on ',
        c?.instanceId ?? location.host,
      ),
      ' · ',
      h('span', { id: 'user' }, me.user, ' (', me.role, ')'),
      ' ',
      h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out'),
    ),
  );
}

function setReviewCount(n) {
  reviewCount = n;
  const el = document.getElementById('review-count');
  if (el) {
    el.textContent = String(n);
    el.setAttribute('aria-label', `${n} waiting`);
  }
}

async function refreshReviewCount() {
  try {
    const r = await api.get('/api/review');
    setReviewCount(r.jobs.length);
  } catch {
    /* shown by the next refresh */
  }
}

async function refreshCluster() {
  try {
    rememberCluster(await api.get('/api/cluster'));
    const id = document.getElementById('instance');
    const c = knownCluster();
    if (id && c?.instanceId) id.textContent = `on ${c.instanceId}`;
  } catch {
    /* unreachable: the failover handler runs */
  }
}

async function logout() {
  try {
    await api.post('/api/logout');
  } finally {
    me = undefined;
    stopHandoff?.();
    navigate('/login');
  }
}

let stopHandoff;
function holdSession() {
  stopHandoff?.();
  stopHandoff = keepHandoff();
}

async function onLogin(who, to) {
  me = who;
  holdSession();
  afterLogin();
  navigate(to, { replace: true });
}

let background;
function afterLogin() {
  if (background !== undefined) return;
  void refreshCluster();
  void refreshReviewCount();
  startLive(checkInstance);
  let pending;
  subscribe((rec) => {
    // The count changes when a job enters or leaves review; refresh it at most every 300 ms.
    if (rec.job === undefined && !String(rec.type).startsWith('Job')) return;
    pending ??= setTimeout(() => {
      pending = undefined;
      void refreshReviewCount();
    }, 300);
  });
  background = setInterval(() => void refreshCluster(), 3000);
}

// --- failover --------------------------------------------------------------------------------

let checking = false;
/** Called on a network error, a 503 from a stopping instance, or the stream's bye/close. */
async function checkInstance(reason) {
  if (checking || reason === 'reconnecting') return;
  checking = true;
  try {
    if (await thisInstanceReady()) return;
    const here = knownCluster()?.instanceId ?? location.host;
    const next = otherLiveInstances()[0];
    if (next === undefined) {
      say(`${here} does not answer and no other instance is known to be running; retrying…`, 'warn');
      setTimeout(() => {
        checking = false;
        void checkInstance('retry');
      }, 2000);
      return;
    }
    say(`${here} stopped answering: continuing on ${next.instanceId}…`, 'warn');
    location.assign(continueUrl(next, currentRoute(), here));
  } finally {
    checking = false;
  }
}

on('unreachable', (err) => void checkInstance(err?.code ?? 'error'));
on('unauthorized', () => {
  if (me === undefined) return;
  me = undefined;
  stopHandoff?.();
  navigate(`/login?to=${encodeURIComponent(currentRoute())}`);
});

// The skip link moves focus to the page without touching the route (its #main would be one).
document.querySelector('a.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});

// --- boot ------------------------------------------------------------------------------------

async function boot() {
  // A page another instance sent here: #to=ROUTE&moved=FROM&handoff=TOKEN.
  const frag = location.hash.replace(/^#/, '');
  let to;
  if (frag !== '' && !frag.startsWith('/')) {
    const p = new URLSearchParams(frag);
    to = p.get('to') ?? '/jobs';
    const token = p.get('handoff');
    if (token) {
      try {
        await api.post('/api/session', { handoff: token });
      } catch {
        /* refused or expired: the cookie (same host) or the login page carries on */
      }
    }
    const moved = p.get('moved');
    if (moved) say(`${moved} stopped answering; this page now talks to ${location.host}.`, 'warn');
    history.replaceState(null, '', `#${to}`);
  }
  try {
    me = await request('GET', '/api/me', { quiet401: true }).catch((e) => {
      if (e.status === 401) return undefined;
      throw e;
    });
  } catch (err) {
    fill(
      main,
      h('h1', {}, 'darkroom'),
      h('p', { role: 'alert' }, 'This instance does not answer: ', err.message),
    );
    return;
  }
  if (me !== undefined) {
    holdSession();
    afterLogin();
  }
  window.addEventListener('hashchange', () => void render());
  await render();
}

void boot();
