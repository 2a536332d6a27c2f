// The OpenAPI document against the routes it describes (every documented route answers, its auth
// failures and validation errors are documented ErrorBody answers), and two instances' servers
// over one log: conflicting channel edits through A and B give exactly one 409.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../src/http/http-server.js';
import { makeSite, type Site } from './http-fixture.js';

interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, unknown>; requestBody?: unknown; security?: unknown }>
  >;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
}

let site: Site;
let a: HttpServer;
let b: HttpServer;
let doc: OpenApi;

beforeAll(async () => {
  site = await makeSite();
  ({ http: a } = await site.open('a'));
  ({ http: b } = await site.open('b'));
  doc = (await a.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<OpenApi>();
});
afterAll(async () => site.cleanup());

const open = new Set(['/api/login', '/api/logout', '/api/session', '/healthz', '/readyz', '/metrics']);

function routes(): { method: string; path: string; url: string }[] {
  const out = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods)) {
      const url = path.replace('{id}', 'nope').replace('{name}', 'news').replace('{which}', 'before');
      out.push({ method: method.toUpperCase(), path, url });
    }
  }
  return out;
}

function assertErrorBody(body: unknown): void {
  const schema = doc.components.schemas['ErrorBody']!;
  expect(Object.keys(body as object).sort()).toEqual(Object.keys(schema.properties!).sort());
  for (const k of schema.required!) expect(typeof (body as Record<string, unknown>)[k]).toBe('string');
}

describe('the OpenAPI document', () => {
  it('describes the web service, administration, Inspector, events and health routes', () => {
    const names = routes().map((r) => `${r.method} ${r.path}`);
    for (const r of [
      'POST /api/jobs',
      'GET /api/jobs',
      'GET /api/jobs/{id}',
      'GET /api/jobs/{id}/result',
      'POST /api/jobs/{id}/retry',
      'POST /api/jobs/{id}/cancel',
      'GET /api/jobs/{id}/inspect',
      'POST /api/jobs/{id}/reprocess',
      'GET /api/review',
      'POST /api/jobs/{id}/approve',
      'POST /api/jobs/{id}/reject',
      'PATCH /api/channels/{name}',
      'POST /api/users',
      'POST /api/users/{name}/tokens',
      'GET /api/cluster',
      'GET /api/events',
      'GET /api/events/stream',
      'GET /readyz',
      'GET /metrics',
    ])
      expect(names).toContain(r);
  });

  it('every protected route refuses a request without credentials with its documented 401', async () => {
    for (const r of routes().filter((x) => !open.has(x.path))) {
      const res = await a.app.inject({ method: r.method as 'GET', url: r.url });
      expect(res.statusCode, `${r.method} ${r.path}`).toBe(401);
      expect(
        Object.keys(doc.paths[r.path]![r.method.toLowerCase()]!.responses),
        `${r.method} ${r.path}`,
      ).toContain('401');
      assertErrorBody(res.json());
    }
  });

  it('a viewer token on a write route gets its documented 403', async () => {
    const writes = routes().filter(
      (x) =>
        !open.has(x.path) && x.method !== 'GET' && !(x.method === 'PATCH' && x.path === '/api/users/{name}'),
    );
    expect(writes.length).toBeGreaterThan(10);
    for (const r of writes) {
      const res = await a.app.inject({
        method: r.method as 'POST',
        url: r.url,
        headers: site.auth.viewer,
        payload: {},
      });
      expect(res.statusCode, `${r.method} ${r.path}`).toBe(403);
      expect(Object.keys(doc.paths[r.path]![r.method.toLowerCase()]!.responses)).toContain('403');
      assertErrorBody(res.json());
    }
  });

  it('every route with a body documents 400 and answers an invalid body with E_REQUEST_INVALID', async () => {
    const withBody = routes().filter(
      (r) => doc.paths[r.path]![r.method.toLowerCase()]!.requestBody !== undefined && r.path !== '/api/jobs',
    );
    expect(withBody.length).toBeGreaterThan(8);
    for (const r of withBody) {
      const res = await a.app.inject({
        method: r.method as 'POST',
        url: r.url,
        headers: site.auth.admin,
        payload: { unexpected: 1 },
      });
      expect(res.statusCode, `${r.method} ${r.path}`).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('E_REQUEST_INVALID');
      expect(Object.keys(doc.paths[r.path]![r.method.toLowerCase()]!.responses)).toContain('400');
      assertErrorBody(res.json());
    }
  });

  it('a query outside its schema is refused with a message naming the field', async () => {
    const r = await a.app.inject({ method: 'GET', url: '/api/jobs?limit=5000', headers: site.auth.viewer });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toBe('request querystring/limit: must be <= 1000');
  });
});

describe('two instances over one log', () => {
  it('two conflicting edits of one revision through A and B: exactly one 409', async () => {
    const ch = (
      await a.app.inject({ method: 'GET', url: '/api/channels/news', headers: site.auth.viewer })
    ).json<{ revision: number }>();
    await b.app.inject({ method: 'GET', url: '/api/channels/news', headers: site.auth.viewer });
    const [ra, rb] = await Promise.all([
      a.app.inject({
        method: 'PATCH',
        url: '/api/channels/news',
        headers: site.auth.admin,
        payload: { revision: ch.revision, patch: { priority: 11 } },
      }),
      b.app.inject({
        method: 'PATCH',
        url: '/api/channels/news',
        headers: site.auth.admin,
        payload: { revision: ch.revision, patch: { priority: 22 } },
      }),
    ]);
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([200, 409]);
    const loser = ra.statusCode === 409 ? ra : rb;
    expect(loser.json<{ code: string; message: string }>()).toMatchObject({ code: 'E_CHANNEL_CONFLICT' });
    expect(loser.json<{ message: string }>().message).toMatch(/was changed by [ab] at /);
  });

  it('a job submitted through A is read through B once B has caught up', async () => {
    const r = await a.app.inject({
      method: 'POST',
      url: '/api/jobs?channel=news&name=x.jpg',
      headers: { ...site.auth.operator, 'content-type': 'image/jpeg' },
      payload: Buffer.from([0xff, 0xd8, 0xff]),
    });
    const { id } = r.json<{ id: string }>();
    const deadline = performance.now() + 10_000;
    let status = 0;
    while (performance.now() < deadline) {
      status = (await b.app.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: site.auth.viewer }))
        .statusCode;
      if (status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(status).toBe(200);
  });

  it('a stopping server answers 503 E_INSTANCE_STOPPING while the other keeps serving', async () => {
    b.beginStop();
    const r = await b.app.inject({ method: 'GET', url: '/api/jobs', headers: site.auth.viewer });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({
      code: 'E_INSTANCE_STOPPING',
      message: 'instance b is stopping and takes no new work',
    });
    expect(
      (await a.app.inject({ method: 'GET', url: '/api/jobs', headers: site.auth.viewer })).statusCode,
    ).toBe(200);
  });
});
