// The one door to the HTTP API (docs/http.md): JSON in and out, errors as ApiError {code, message,
// fix, fields}, and failover: when the instance this page came from stops answering, the page moves
// to another live instance of the cluster (known from /api/cluster) keeping its route and session.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? `HTTP_${status}`;
    this.fix = body?.fix;
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
  }
}

/**
 * A read that gets no answer in this time counts as "this instance does not answer" (a paused or
 * hung instance accepts connections and never replies). Writes and uploads are not cut short.
 */
const READ_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 3_000;

/** Codes that mean "this instance cannot serve you now": try another one. */
const GONE = new Set(['E_INSTANCE_STOPPING', 'E_NOT_READY']);

const listeners = { unauthorized: [], unreachable: [] };

/** on('unauthorized' | 'unreachable', fn) → undo. */
export function on(what, fn) {
  listeners[what].push(fn);
  return () => {
    listeners[what] = listeners[what].filter((f) => f !== fn);
  };
}

function emit(what, arg) {
  for (const fn of listeners[what]) fn(arg);
}

/**
 * request('GET', '/api/jobs', {query, body}) → parsed JSON (undefined for 204).
 * A network error or a 503 from a stopping instance reports 'unreachable' (failover) and throws.
 */
export async function request(method, path, { query, body, quiet401 = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (method === 'GET') init.signal = AbortSignal.timeout(READ_TIMEOUT_MS);
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    emit('unreachable', err);
    throw new ApiError(0, { code: 'E_UNREACHABLE', message: 'this instance does not answer' });
  }
  if (res.status === 204) return undefined;
  let text;
  try {
    text = await res.text();
  } catch (err) {
    emit('unreachable', err);
    throw new ApiError(0, { code: 'E_UNREACHABLE', message: 'this instance stopped answering' });
  }
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = { message: text.slice(0, 200) };
  }
  if (!res.ok) {
    const e = new ApiError(res.status, json);
    if (res.status === 401 && !quiet401) emit('unauthorized', e);
    if (res.status === 503 && GONE.has(e.code)) emit('unreachable', e);
    throw e;
  }
  return json;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body ?? {} }),
  patch: (path, body) => request('PATCH', path, { body }),
  put: (path, body) => request('PUT', path, { body }),
  del: (path, query) => request('DELETE', path, { query }),
};

// --- the cluster and failover ---------------------------------------------------------------

/** The last /api/cluster answer (refreshed by the shell), or undefined. */
let lastCluster;
/**
 * The session handoff token (GET /api/session/handoff: valid two minutes, refreshed every 30 s),
 * kept in memory only and passed in the URL fragment when the page moves to another instance,
 * which exchanges it for its own session cookie (docs/web-ui.md, Failover).
 */
let handoff;
let handoffTimer;

export function rememberCluster(c) {
  lastCluster = c;
}

export function knownCluster() {
  return lastCluster;
}

async function refreshHandoff() {
  try {
    const r = await request('GET', '/api/session/handoff', { quiet401: true });
    handoff = r.handoff;
  } catch {
    /* kept the last one; the next refresh tries again */
  }
}

/** Keeps a fresh handoff token while logged in; returns its undo. */
export function keepHandoff() {
  clearInterval(handoffTimer);
  void refreshHandoff();
  handoffTimer = setInterval(() => void refreshHandoff(), 30_000);
  return () => {
    clearInterval(handoffTimer);
    handoff = undefined;
  };
}

/** States (the log's `status`, the observed `state`) in which an instance can take over the page. */
const LIVE = new Set(['started', 'running']);
const OBSERVED_OK = new Set(['running', 'unreachable']); // unreachable: on its cluster port only
/** Observed states to try only when nothing better is known. */
const OBSERVED_POOR = new Set(['starting', 'storage stalled']);

function rank(i) {
  if (i.state === undefined || OBSERVED_OK.has(i.state)) return 0;
  return OBSERVED_POOR.has(i.state) ? 1 : 2;
}

/** The instances another page could move to: live, with an HTTP URL, not this one; best first. */
export function otherLiveInstances(c = lastCluster) {
  if (c === undefined) return [];
  const here = location.origin;
  return (c.instances ?? [])
    .filter((i) => LIVE.has(i.status) && typeof i.httpUrl === 'string' && i.httpUrl !== '')
    .filter((i) => new URL(i.httpUrl).origin !== here && i.instanceId !== c.instanceId)
    .filter((i) => rank(i) < 2)
    .sort((a, b) => rank(a) - rank(b) || (a.heartbeatAgeMs ?? 1e9) - (b.heartbeatAgeMs ?? 1e9));
}

/** Is this instance still serving? (/readyz: 200 ready, 503 stopping or not ready, error: gone.) */
export async function thisInstanceReady() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store', signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The URL that continues `route` (a hash route such as "/jobs/ID") on `instance`: the fragment
 * carries the route, where the page came from and the session handoff (a fragment never reaches
 * any server's logs).
 */
export function continueUrl(instance, route, from) {
  const p = new URLSearchParams({ to: route });
  if (from) p.set('moved', from);
  if (handoff) p.set('handoff', handoff);
  return `${new URL('/ui/', instance.httpUrl).href}#${p.toString()}`;
}
