// The web service and administration routes through inject(), against a real log on a temp drive.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/http-server.js';
import { makeSite, passwords, type Site } from './http-fixture.js';

let site: Site;
let http: HttpServer;

beforeAll(async () => {
  site = await makeSite();
  ({ http } = await site.open('a'));
});
afterAll(async () => site.cleanup());

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

async function upload(name: string, body: Buffer = jpeg, channel = 'news') {
  return http.app.inject({
    method: 'POST',
    url: `/api/jobs?channel=${channel}&name=${encodeURIComponent(name)}`,
    headers: { ...site.auth.operator, 'content-type': 'image/jpeg' },
    payload: body,
  });
}

describe('authentication and roles', () => {
  it('a route without credentials answers 401 E_AUTH_REQUIRED as {code, message, fix}', async () => {
    const r = await http.app.inject({ method: 'GET', url: '/api/jobs' });
    expect(r.statusCode).toBe(401);
    expect(Object.keys(r.json<object>()).sort()).toEqual(['code', 'fix', 'message']);
    expect(r.json()).toMatchObject({ code: 'E_AUTH_REQUIRED' });
  });

  it('a malformed or unknown token answers 401 E_AUTH_FAILED', async () => {
    for (const authorization of ['Bearer nonsense', `Bearer drk_000000000000_${'a'.repeat(43)}`]) {
      const r = await http.app.inject({ method: 'GET', url: '/api/jobs', headers: { authorization } });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'E_AUTH_FAILED' });
    }
  });

  it('a viewer may read but not submit (403 E_FORBIDDEN naming the role needed)', async () => {
    expect(
      (await http.app.inject({ method: 'GET', url: '/api/jobs', headers: site.auth.viewer })).statusCode,
    ).toBe(200);
    const r = await http.app.inject({
      method: 'POST',
      url: '/api/jobs?channel=news&name=x.jpg',
      headers: { ...site.auth.viewer, 'content-type': 'image/jpeg' },
      payload: jpeg,
    });
    expect(r.statusCode).toBe(403);
    expect(r.json<{ message: string }>().message).toBe(
      'user viewer (role viewer) may not submit jobs; it needs role operator',
    );
  });

  it('an operator may not change channels; an admin may', async () => {
    const body = { name: 'ops', settings: { type: 'process' } };
    const op = await http.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: site.auth.operator,
      payload: body,
    });
    expect(op.statusCode).toBe(403);
    const ad = await http.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: site.auth.admin,
      payload: body,
    });
    expect(ad.statusCode).toBe(201);
    expect(ad.json()).toMatchObject({ name: 'ops', revision: 1 });
  });

  it('login sets an HttpOnly SameSite=Strict cookie that authenticates; a wrong password does not', async () => {
    const bad = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user: 'viewer', password: 'wrong-password' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'E_AUTH_FAILED' });
    const unknown = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user: 'nobody', password: 'wrong-password' },
    });
    expect(unknown.json<{ message: string }>().message).toBe(bad.json<{ message: string }>().message);
    const ok = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user: 'viewer', password: passwords.viewer },
    });
    expect(ok.statusCode).toBe(200);
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(/^darkroom_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=60/);
    const cookie = setCookie.split(';')[0]!;
    const me = await http.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json()).toEqual({ user: 'viewer', role: 'viewer', via: 'session' });
    const forged = cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'BB' : 'AA');
    expect(
      (await http.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: forged } })).statusCode,
    ).toBe(401);
    const out = await http.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
  });
});

describe('jobs', () => {
  it('an upload becomes a submitted job readable at once from the same instance', async () => {
    const r = await upload('photo.jpg');
    expect(r.statusCode).toBe(201);
    const { id } = r.json<{ id: string }>();
    const job = await http.app.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: site.auth.viewer });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({
      id,
      channel: 'news',
      state: 'submitted',
      relPath: 'photo.jpg',
      bytes: jpeg.length,
      source: 'upload:photo.jpg',
    });
    expect(await readdir(join(site.dir, 'work', id))).toContain('photo.jpg');
    const list = await http.app.inject({
      method: 'GET',
      url: '/api/jobs?state=submitted&limit=1',
      headers: site.auth.viewer,
    });
    expect(list.json<{ jobs: { id: string }[] }>().jobs.map((j) => j.id)).toEqual([id]);
  });

  it('a client-given name never leaves the work folder; names that name no file are refused', async () => {
    const r = await upload('../../../etc/evil.jpg');
    expect(r.statusCode).toBe(201);
    const { id } = r.json<{ id: string }>();
    expect(await readdir(join(site.dir, 'work', id))).toContain('evil.jpg');
    expect(await readdir(site.dir)).not.toContain('etc');
    for (const name of ['..', '.hidden.jpg', 'a\u0001b.jpg', 'dir/']) {
      const bad = await upload(name);
      expect(bad.statusCode, name).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'E_REQUEST_INVALID' });
    }
  });

  it('an upload over maxUploadBytes gets 413 E_UPLOAD_TOO_LARGE and leaves no work folder', async () => {
    const before = await readdir(join(site.dir, 'work'));
    const r = await upload('big.jpg', Buffer.alloc(70 * 1024, 1));
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'E_UPLOAD_TOO_LARGE' });
    expect(await readdir(join(site.dir, 'work'))).toEqual(before);
  });

  it('an unknown channel is 404 E_CHANNEL_UNKNOWN; a missing channel is 400 E_REQUEST_INVALID', async () => {
    expect((await upload('a.jpg', jpeg, 'nope')).json()).toMatchObject({ code: 'E_CHANNEL_UNKNOWN' });
    const r = await http.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { ...site.auth.operator, 'content-type': 'image/jpeg' },
      payload: jpeg,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toContain('querystring');
  });

  it('multipart uploads take the file with JSON settings overrides; bad overrides are refused', async () => {
    const boundary = 'XyZ';
    const body = (settings: string) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="settings"\r\n\r\n${settings}\r\n`,
        ),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="multi.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
        ),
        jpeg,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    const send = (settings: string) =>
      http.app.inject({
        method: 'POST',
        url: '/api/jobs?channel=news',
        headers: { ...site.auth.operator, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: body(settings),
      });
    const ok = await send('{"output":{"jpegQuality":70}}');
    expect(ok.statusCode).toBe(201);
    const job = await http.app.inject({
      method: 'GET',
      url: `/api/jobs/${ok.json<{ id: string }>().id}`,
      headers: site.auth.viewer,
    });
    expect(job.json()).toMatchObject({
      relPath: 'multi.jpg',
      ticket: { file: 'multi.jpg', overrides: { output: { jpegQuality: 70 } } },
    });
    const bad = await send('{"output":{"jpegQuality":700}}');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'E_SETTINGS_INVALID' });
  });

  it('the result of a job that is not completed is 409 E_JOB_STATE; an unknown job is 404', async () => {
    const { id } = (await upload('r.jpg')).json<{ id: string }>();
    const r = await http.app.inject({
      method: 'GET',
      url: `/api/jobs/${id}/result`,
      headers: site.auth.viewer,
    });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'E_JOB_STATE' });
    const u = await http.app.inject({
      method: 'GET',
      url: '/api/jobs/nope/result',
      headers: site.auth.viewer,
    });
    expect(u.statusCode).toBe(404);
  });

  it('cancel records the user; retrying a cancelled job is 409 E_JOB_STATE', async () => {
    const { id } = (await upload('c.jpg')).json<{ id: string }>();
    const c = await http.app.inject({
      method: 'POST',
      url: `/api/jobs/${id}/cancel`,
      headers: site.auth.operator,
      payload: { reason: 'test' },
    });
    expect(c.statusCode).toBe(200);
    expect(c.json()).toMatchObject({ state: 'cancelled', cancelled: { by: 'operator', reason: 'test' } });
    const r = await http.app.inject({
      method: 'POST',
      url: `/api/jobs/${id}/retry`,
      headers: site.auth.operator,
    });
    expect(r.statusCode).toBe(409);
  });
});

describe('channels', () => {
  it('an edit names its revision; a stale one is 409 E_CHANNEL_CONFLICT saying who and when', async () => {
    const ch = (
      await http.app.inject({ method: 'GET', url: '/api/channels/news', headers: site.auth.viewer })
    ).json<{ revision: number }>();
    const first = await http.app.inject({
      method: 'PATCH',
      url: '/api/channels/news',
      headers: site.auth.admin,
      payload: { revision: ch.revision, patch: { priority: 70 } },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ revision: ch.revision + 1, settings: { priority: 70 } });
    const stale = await http.app.inject({
      method: 'PATCH',
      url: '/api/channels/news',
      headers: site.auth.admin,
      payload: { revision: ch.revision, patch: { priority: 60 } },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ message: string }>().message).toMatch(
      /^channel news was changed by a at \S+ \(revision \d+, you edited \d+\)$/,
    );
  });

  it('invalid settings are 400 E_SETTINGS_INVALID; unknown body fields are 400 E_REQUEST_INVALID', async () => {
    const bad = await http.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: site.auth.admin,
      payload: { name: 'x', settings: { type: 'process', priority: 500 } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'E_SETTINGS_INVALID' });
    const extra = await http.app.inject({
      method: 'POST',
      url: '/api/channels',
      headers: site.auth.admin,
      payload: { name: 'x', settings: {}, colour: 'red' },
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json<{ message: string }>().message).toBe('request body: unknown field "colour"');
  });

  it('pause and resume by an operator; delete by an admin', async () => {
    const p = await http.app.inject({
      method: 'POST',
      url: '/api/channels/ops/pause',
      headers: site.auth.operator,
      payload: { reason: 'maintenance' },
    });
    expect(p.json()).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    const r = await http.app.inject({
      method: 'POST',
      url: '/api/channels/ops/resume',
      headers: site.auth.operator,
    });
    expect(r.json()).toMatchObject({ paused: false });
    const d = await http.app.inject({ method: 'DELETE', url: '/api/channels/ops', headers: site.auth.admin });
    expect(d.statusCode).toBe(204);
    expect(
      (await http.app.inject({ method: 'GET', url: '/api/channels/ops', headers: site.auth.viewer }))
        .statusCode,
    ).toBe(404);
  });
});

describe('users and tokens', () => {
  it('an admin adds a user who can log in; a token created for them authenticates until revoked', async () => {
    const add = await http.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: site.auth.admin,
      payload: { user: 'eve', role: 'viewer', password: 'eve-password' },
    });
    expect(add.statusCode).toBe(201);
    expect(
      (
        await http.app.inject({
          method: 'POST',
          url: '/api/users',
          headers: site.auth.admin,
          payload: { user: 'eve', role: 'viewer', password: 'eve-password' },
        })
      ).statusCode,
    ).toBe(409);
    const login = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user: 'eve', password: 'eve-password' },
    });
    expect(login.statusCode).toBe(200);
    const t = await http.app.inject({
      method: 'POST',
      url: '/api/users/eve/tokens',
      headers: site.auth.admin,
      payload: { label: 'script' },
    });
    expect(t.statusCode).toBe(201);
    const { id, token } = t.json<{ id: string; token: string }>();
    const me = await http.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.json()).toMatchObject({ user: 'eve', via: 'token' });
    const list = await http.app.inject({ method: 'GET', url: '/api/users', headers: site.auth.admin });
    expect(JSON.stringify(list.json())).not.toContain(token.split('_')[2]);
    expect(
      (await http.app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: site.auth.admin }))
        .statusCode,
    ).toBe(204);
    expect(
      (
        await http.app.inject({
          method: 'GET',
          url: '/api/me',
          headers: { authorization: `Bearer ${token}` },
        })
      ).statusCode,
    ).toBe(401);
  });

  it('a changed password ends older sessions; a viewer may change only their own password', async () => {
    const login = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user: 'eve', password: 'eve-password' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const other = await http.app.inject({
      method: 'PATCH',
      url: '/api/users/viewer',
      headers: { cookie },
      payload: { password: 'something-else' },
    });
    expect(other.statusCode).toBe(403);
    const promote = await http.app.inject({
      method: 'PATCH',
      url: '/api/users/eve',
      headers: { cookie },
      payload: { role: 'admin' },
    });
    expect(promote.statusCode).toBe(403);
    const own = await http.app.inject({
      method: 'PATCH',
      url: '/api/users/eve',
      headers: { cookie },
      payload: { password: 'eve-password-2' },
    });
    expect(own.statusCode).toBe(200);
    expect((await http.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(
      401,
    );
  });

  it('the last admin cannot be removed or demoted (409 E_USER_LAST_ADMIN)', async () => {
    const r = await http.app.inject({ method: 'DELETE', url: '/api/users/admin', headers: site.auth.admin });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'E_USER_LAST_ADMIN' });
  });

  it('login is rate-limited per client address (429 E_RATE_LIMITED with retry-after)', async () => {
    let last = 0;
    for (let i = 0; i < 12 && last !== 429; i++) {
      const r = await http.app.inject({
        method: 'POST',
        url: '/api/login',
        remoteAddress: '10.9.9.9',
        payload: { user: 'nobody', password: 'whatever-pass' },
      });
      last = r.statusCode;
      if (last === 429) {
        expect(r.json()).toMatchObject({ code: 'E_RATE_LIMITED' });
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(last).toBe(429);
  });
});

describe('health, metrics, headers', () => {
  it('/healthz and /readyz answer without auth; /metrics is Prometheus text', async () => {
    expect((await http.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
      instanceId: 'a',
    });
    const ready = await http.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json<{ ready: boolean }>().ready).toBe(true);
    const m = await http.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.body).toMatch(/^darkroom_jobs\{state="submitted"\} \d+$/m);
    expect(m.body).toMatch(/^darkroom_log_seq \d+$/m);
    expect(m.body).toContain('darkroom_log_append_seconds_bucket');
    expect(m.body).toContain('darkroom_storage_healthy 1');
  });

  it('every answer carries security headers and a request id, and no CORS header', async () => {
    const r = await http.app.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: { ...site.auth.viewer, origin: 'https://evil.example', 'x-request-id': 'abc-123' },
    });
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an unknown route is 404 E_NOT_FOUND', async () => {
    const r = await http.app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'E_NOT_FOUND', message: 'no route GET /api/nothing-here' });
  });
});
