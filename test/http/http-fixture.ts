// Fixture for HTTP tests: a temp shared drive, real event logs on it (one per "instance"), users of
// each role with a password and a token, and HTTP servers driven with inject().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import { silentLogger } from '../../src/logger.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { createHttpServer, type HttpDeps, type HttpServer } from '../../src/http/http-server.js';
import { hashPassword, newToken } from '../../src/users/credentials.js';
import type { Role } from '../../src/users/decide-user-change.js';

export const secret = 'test-secret-0123456789abcdef';
export const passwords: Readonly<Record<Role, string>> = {
  admin: 'admin-pass-1',
  operator: 'operator-pass-1',
  viewer: 'viewer-pass-1',
};

export interface Site {
  readonly dir: string;
  /** Bearer headers per role. */
  readonly auth: Readonly<Record<Role, { authorization: string }>>;
  open(
    instanceId: string,
    deps?: Partial<HttpDeps>,
  ): Promise<{ log: EventLog<ProjectionState>; http: HttpServer }>;
  cleanup(): Promise<void>;
}

export async function openLog(dir: string, by: string): Promise<EventLog<ProjectionState>> {
  return EventLog.open<ProjectionState>({
    sharedDir: dir,
    writer: { by, inc: 0 },
    projector: darkroomProjector,
    snapshotEvery: 0,
    pollMs: 50,
  });
}

/** A drive with users admin/operator/viewer (names = roles), their tokens, and channel `news`. */
export async function makeSite(): Promise<Site> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-http-'));
  await initLog(dir);
  const logs: EventLog<ProjectionState>[] = [];
  const servers: HttpServer[] = [];
  const setup = await openLog(dir, 'setup');
  const auth = {} as Record<Role, { authorization: string }>;
  for (const role of ['admin', 'operator', 'viewer'] as const) {
    const t = newToken();
    await setup.append([
      { type: 'UserAdded', data: { user: role, role, passwordHash: await hashPassword(passwords[role]) } },
      { type: 'TokenCreated', data: { user: role, tokenId: t.tokenId, hash: t.hash, label: 'test' } },
    ]);
    auth[role] = { authorization: `Bearer ${t.token}` };
  }
  await setup.append([{ type: 'ChannelCreated', data: { channel: 'news', settings: { type: 'process' } } }]);
  await setup.stop();
  return {
    dir,
    auth,
    async open(instanceId, deps = {}) {
      const log = await openLog(dir, instanceId);
      log.startFollowing();
      logs.push(log);
      const http = await createHttpServer({
        log,
        conf: { sharedDir: dir, secret, maxUploadBytes: 64 * 1024, sessionTtlMs: 60_000 },
        instanceId,
        logger: silentLogger,
        webDir: join(dir, 'no-web'),
        ...deps,
      });
      servers.push(http);
      return { log, http };
    },
    async cleanup() {
      await Promise.allSettled(servers.map((s) => s.stop()));
      await Promise.allSettled(logs.map((l) => l.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
