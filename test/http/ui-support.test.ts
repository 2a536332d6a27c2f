// What the web UI needs beyond the web service: the channel settings schema for its generated form,
// each instance's HTTP URL and observed health in /api/cluster, and the session handoff for
// failover across host names (docs/web-ui.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../src/cluster/cluster-status.js';
import { clusterObserver, type Observation } from '../../src/http/cluster-view.js';
import type { HttpServer } from '../../src/http/http-server.js';
import { makeSite, passwords, secret, type Site } from './http-fixture.js';

let site: Site;
beforeAll(async () => {
  site = await makeSite();
});
afterAll(async () => {
  await site.cleanup();
});

describe('GET /api/schema/channel-settings', () => {
  it('answers the channel settings as JSON Schema, one branch per channel type with ranges and defaults', async () => {
    const { http } = await site.open('a');
    const res = await http.app.inject({ url: '/api/schema/channel-settings', headers: site.auth.viewer });
    expect(res.statusCode).toBe(200);
    const schema = res.json<{ oneOf: { properties: Record<string, Record<string, unknown>> }[] }>();
    const types = schema.oneOf.map((b) => b.properties['type']?.['const']);
    expect(types).toEqual(expect.arrayContaining(['process', 'routing', 'purging']));
    const process = schema.oneOf.find((b) => b.properties['type']?.['const'] === 'process')!;
    expect(process.properties['priority']).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: 50,
    });
  });

  it('needs a login', async () => {
    const { http } = await site.open('a2');
    const res = await http.app.inject({ url: '/api/schema/channel-settings' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'E_AUTH_REQUIRED' });
  });
});

describe('GET /api/cluster: httpUrl', () => {
  it('gives each instance of the conf its HTTP URL from its server entry', async () => {
    const servers = [
      { name: 'press1', host: '127.0.0.1', clusterPort: 7900, httpPort: 7901, line: 1 },
      { name: 'press2', host: 'press2.example.com', clusterPort: 7900, httpPort: 8080, line: 2 },
    ];
    const { log, http } = await site.open('press1', {
      conf: { sharedDir: site.dir, secret, maxUploadBytes: 1024, sessionTtlMs: 60_000, servers },
    });
    for (const [id, host] of [
      ['press1', '127.0.0.1'],
      ['press2', 'press2.example.com'],
    ] as const) {
      await log.append([
        {
          type: 'InstanceStarted',
          data: { instanceId: id, host, pid: 1, version: 'test', slots: 1, confHash: 'x', formatLevel: 1 },
        },
      ]);
    }
    const res = await http.app.inject({ url: '/api/cluster', headers: site.auth.viewer });
    expect(res.statusCode).toBe(200);
    const urls = Object.fromEntries(
      res
        .json<{ instances: { instanceId: string; httpUrl?: string }[] }>()
        .instances.map((i) => [i.instanceId, i.httpUrl]),
    );
    expect(urls).toEqual({ press1: 'http://127.0.0.1:7901', press2: 'http://press2.example.com:8080' });
  });
});

describe('session handoff between instances', () => {
  async function login(http: HttpServer, user: 'operator' | 'viewer' = 'operator'): Promise<string> {
    const res = await http.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { user, password: passwords[user] },
    });
    expect(res.statusCode).toBe(200);
    return String(res.headers['set-cookie']).split(';')[0]!;
  }

  it('a handoff token from one instance becomes a session cookie on another, for the same user', async () => {
    const { http: a } = await site.open('h-a');
    const { http: b } = await site.open('h-b');
    const cookie = await login(a);
    const got = await a.app.inject({ url: '/api/session/handoff', headers: { cookie } });
    expect(got.statusCode).toBe(200);
    const { handoff, expiresInMs } = got.json<{ handoff: string; expiresInMs: number }>();
    expect(expiresInMs).toBeGreaterThan(0);
    expect(expiresInMs).toBeLessThanOrEqual(120_000);
    const ex = await b.app.inject({ method: 'POST', url: '/api/session', payload: { handoff } });
    expect(ex.statusCode).toBe(200);
    expect(ex.json()).toEqual({ user: 'operator', role: 'operator', via: 'session' });
    const setCookie = String(ex.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const me = await b.app.inject({ url: '/api/me', headers: { cookie: setCookie.split(';')[0]! } });
    expect(me.json()).toMatchObject({ user: 'operator', role: 'operator' });
  });

  it('is no credential itself: as a cookie or bearer it is refused, and a forged one is refused', async () => {
    const { http: a } = await site.open('h-c');
    const cookie = await login(a);
    const { handoff } = (await a.app.inject({ url: '/api/session/handoff', headers: { cookie } })).json<{
      handoff: string;
    }>();
    const asCookie = await a.app.inject({
      url: '/api/me',
      headers: { cookie: `darkroom_session=${handoff}` },
    });
    expect(asCookie.statusCode).toBe(401);
    const asBearer = await a.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${handoff}` } });
    expect(asBearer.statusCode).toBe(401);
    const [v, payload] = handoff.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify(['admin', Date.now() + 60_000, Date.now() + 60_000, 'x']),
    ).toString('base64url');
    for (const bad of [
      `${v}.${forgedPayload}.${handoff.split('.')[2]}`,
      `${v}.${payload}.AAAA`,
      'nonsense',
    ]) {
      const res = await a.app.inject({ method: 'POST', url: '/api/session', payload: { handoff: bad } });
      expect(res.statusCode, bad).toBe(401);
      expect(res.json()).toMatchObject({ code: 'E_AUTH_FAILED' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('ends with the password: a handoff made before a password change is refused', async () => {
    const { http: a, log } = await site.open('h-d');
    const viewerCookie = await login(a, 'viewer');
    const { handoff } = (
      await a.app.inject({ url: '/api/session/handoff', headers: { cookie: viewerCookie } })
    ).json<{ handoff: string }>();
    const changed = await a.app.inject({
      method: 'PATCH',
      url: '/api/users/viewer',
      headers: site.auth.admin,
      payload: { password: 'a-new-password-9' },
    });
    expect(changed.statusCode).toBe(200);
    await log.whenApplied(log.seq);
    const ex = await a.app.inject({ method: 'POST', url: '/api/session', payload: { handoff } });
    expect(ex.statusCode).toBe(401);
  });
});

/** A status as decideClusterStatus returns it: press2 alive but unreachable on its cluster port. */
function observed(): ClusterStatus {
  const inst = (name: string, over: Partial<ClusterStatus['instances'][number]>) => ({
    name,
    host: '127.0.0.1',
    clusterPort: 7900,
    httpPort: 7901,
    state: 'running' as const,
    inc: 1,
    coordinator: false,
    term: 1,
    slots: 2,
    running: 1,
    load: 0.5,
    heartbeatAgeMs: 120,
    logSeq: 10,
    logLag: 0,
    confHash: 'x',
    storage: { lastOkAgeMs: 40, stalled: false },
    pid: 1,
    port: { reachable: true },
    peers: [],
    ...over,
  });
  return {
    healthy: false,
    observedFrom: 'press1',
    observedAt: '2026-12-07T18:00:00.000Z',
    log: { seq: 10 },
    term: 1,
    coordinator: { instanceId: 'press1', inc: 1, term: 1 },
    instances: [
      inst('press1', { coordinator: true }),
      inst('press2', {
        state: 'unreachable',
        load: 1.5,
        storage: { lastOkAgeMs: 9000, stalled: true },
        port: { reachable: false, reason: 'no answer within 2000 ms' },
      }),
    ],
    warnings: [
      {
        code: 'unreachable-from-here',
        instance: 'press2',
        message: 'press2 is alive in the log but unreachable on port 7900 from press1',
      },
    ],
  };
}

describe('GET /api/cluster: what the instance observed', () => {
  it('adds load, storage health, port reachability and the warnings to the instances of the log', async () => {
    const servers = [
      { name: 'press1', host: '127.0.0.1', clusterPort: 7900, httpPort: 7901, line: 1 },
      { name: 'press2', host: '127.0.0.1', clusterPort: 7910, httpPort: 7911, line: 2 },
    ];
    const obs: Observation = { status: observed(), ageMs: 300, late: false, waitMs: 6000 };
    const { http } = await site.open('press1', {
      conf: { sharedDir: site.dir, secret, maxUploadBytes: 1024, sessionTtlMs: 60_000, servers },
      observeCluster: async () => obs,
    });
    const res = await http.app.inject({ url: '/api/cluster', headers: site.auth.viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      healthy: boolean;
      warnings: { code: string; message: string }[];
      instances: { instanceId: string; state?: string; load?: number; storage?: unknown; port?: unknown }[];
    }>();
    expect(body.healthy).toBe(false);
    expect(body.warnings.map((w) => w.code)).toEqual(['unreachable-from-here']);
    expect(body.warnings[0]!.message).toContain('port 7900');
    const p2 = body.instances.find((i) => i.instanceId === 'press2');
    expect(p2).toMatchObject({
      state: 'unreachable',
      load: 1.5,
      storage: { stalled: true, lastOkAgeMs: 9000 },
      port: { reachable: false, reason: 'no answer within 2000 ms' },
    });
  });

  it('says so when the observation did not finish in time, and still answers from the log', async () => {
    const { http } = await site.open('slow', {
      observeCluster: async () => ({ late: true, waitMs: 6000 }),
    });
    const res = await http.app.inject({ url: '/api/cluster', headers: site.auth.viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ healthy: boolean; warnings: { code: string }[]; instances: unknown[] }>();
    expect(body.healthy).toBe(false);
    expect(body.warnings.map((w) => w.code)).toEqual(['status-unobserved']);
    expect(Array.isArray(body.instances)).toBe(true);
  });
});

describe('clusterObserver', () => {
  function manualClock() {
    let t = 0;
    return { clock: { now: () => t, wallTime: () => new Date(0) }, advance: (ms: number) => (t += ms) };
  }

  it('observes once for concurrent requests and reuses the result while it is young', async () => {
    const { clock, advance } = manualClock();
    let calls = 0;
    const observer = clusterObserver({
      clock,
      maxAgeMs: 2000,
      gather: async () => {
        calls++;
        return observed();
      },
    });
    const [x, y] = await Promise.all([observer.latest(), observer.latest()]);
    expect(calls).toBe(1);
    expect(x.status).toBe(y.status);
    advance(1000);
    expect((await observer.latest()).ageMs).toBe(1000);
    expect(calls).toBe(1);
    advance(1500);
    await observer.latest();
    expect(calls).toBe(2);
  });

  it('answers late (with the last result) when an observation hangs, and starts no second one meanwhile', async () => {
    const { clock, advance } = manualClock();
    let calls = 0;
    let release: (() => void) | undefined;
    const observer = clusterObserver({
      clock,
      waitMs: 20,
      gather: () => {
        calls++;
        if (calls === 1) return Promise.resolve(observed());
        return new Promise<ClusterStatus>((resolve) => {
          release = () => resolve(observed());
        });
      },
    });
    const first = await observer.latest();
    expect(first.late).toBe(false);
    advance(5000);
    const hung = await observer.latest();
    expect(hung).toMatchObject({ late: true, ageMs: 5000 });
    expect(hung.status).toBe(first.status);
    await observer.latest();
    expect(calls).toBe(2);
    release!();
    await expect.poll(async () => (await observer.latest()).late).toBe(false);
  });
});
