// What the web UI needs beyond the web service: the channel settings schema for its generated form,
// and each instance's HTTP URL in /api/cluster for failover (docs/web-ui.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSite, secret, type Site } from './http-fixture.js';

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
