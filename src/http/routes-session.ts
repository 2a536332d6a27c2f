// Login and logout (the signed session cookie), who am I, the session handoff, and the probes: /healthz, /readyz,
// /metrics.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DarkroomError } from '../errors/darkroom-error.js';
import { passwordStamp, readSession, signSession, verifyPassword } from '../users/credentials.js';
import { cookieValue, SESSION_COOKIE } from './auth.js';
import type { HttpContext } from './http-context.js';
import { HANDOFF_TTL_MS, readHandoff, signHandoff } from './session-handoff.js';
import { errors, HandoffBody, LoginBody } from './schemas.js';

/** A made-up hash to verify against for unknown users, so both answers take as long. */
const decoyHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const PROBE_TIMEOUT_MS = 2000;

function cookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function registerSessionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.post(
    '/api/login',
    {
      config: { role: 'none', rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: {
        tags: ['session'],
        summary: 'Log in: sets the session cookie',
        body: LoginBody,
        response: { 200: Type.Ref('Me'), ...errors(400, 401, 429, 503) },
      },
    },
    async (req, reply) => {
      const { user, password } = req.body as { user: string; password: string };
      const view = ctx.state().config.users.get(user);
      const ok = await verifyPassword(password, view?.passwordHash ?? decoyHash);
      if (view === undefined || view.passwordHash === undefined || !ok) {
        throw new DarkroomError('E_AUTH_FAILED', { detail: 'wrong user name or password' });
      }
      const ttl = deps.conf.sessionTtlMs;
      const value = signSession(ctx.sessionKey, {
        user,
        expiresAtMs: ctx.clock.wallTime().getTime() + ttl,
        pw: passwordStamp(view.passwordHash),
      });
      req.log.info({ user }, 'login');
      void reply.header('set-cookie', cookie(value, Math.floor(ttl / 1000), req.protocol === 'https'));
      return { user, role: view.role, via: 'session' };
    },
  );
  app.post(
    '/api/logout',
    {
      config: { role: 'none' },
      schema: { tags: ['session'], summary: 'Log out: clears the cookie', response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      void reply.header('set-cookie', cookie('', 0, req.protocol === 'https'));
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/me',
    {
      config: { role: 'viewer' },
      schema: { tags: ['session'], summary: 'The caller', response: { 200: Type.Ref('Me'), ...errors(401) } },
    },
    async (req) => req.principal,
  );

  // Session handoff (docs/web-ui.md, Failover): the page holds a short-lived token and, when it
  // moves to an instance under another host name, exchanges it there for that host's cookie.
  app.get(
    '/api/session/handoff',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['session'],
        summary: 'A short-lived token that POST /api/session on any instance exchanges for a session',
        response: {
          200: Type.Object(
            {
              handoff: Type.String({
                description: 'opaque; valid for expiresInMs, for POST /api/session only',
              }),
              expiresInMs: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          ...errors(401),
        },
      },
    },
    async (req) => {
      const p = req.principal!;
      const nowMs = ctx.clock.wallTime().getTime();
      const view = ctx.state().config.users.get(p.user);
      const session =
        p.via === 'session'
          ? readSession(ctx.sessionKey, cookieValue(req.headers.cookie, SESSION_COOKIE) ?? '', nowMs)
          : undefined;
      const sessionExpiresAtMs = session?.expiresAtMs ?? nowMs + deps.conf.sessionTtlMs;
      const expiresAtMs = Math.min(nowMs + HANDOFF_TTL_MS, sessionExpiresAtMs);
      const handoff = signHandoff(ctx.sessionKey, {
        user: p.user,
        expiresAtMs,
        sessionExpiresAtMs,
        pw: passwordStamp(view?.passwordHash),
      });
      return { handoff, expiresInMs: expiresAtMs - nowMs };
    },
  );
  app.post(
    '/api/session',
    {
      config: { role: 'none', rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        tags: ['session'],
        summary: 'Exchange a handoff token (GET /api/session/handoff) for a session cookie here',
        body: HandoffBody,
        response: { 200: Type.Ref('Me'), ...errors(400, 401, 429, 503) },
      },
    },
    async (req, reply) => {
      const { handoff } = req.body as { handoff: string };
      const nowMs = ctx.clock.wallTime().getTime();
      const h = readHandoff(ctx.sessionKey, handoff, nowMs);
      const view = h === undefined ? undefined : ctx.state().config.users.get(h.user);
      if (h === undefined || view === undefined || passwordStamp(view.passwordHash) !== h.pw) {
        throw new DarkroomError('E_AUTH_FAILED', {
          detail: 'the handoff token is invalid, expired or of a removed user; log in again',
        });
      }
      const value = signSession(ctx.sessionKey, {
        user: h.user,
        expiresAtMs: h.sessionExpiresAtMs,
        pw: h.pw,
      });
      req.log.info({ user: h.user }, 'session handed over');
      const maxAgeS = Math.max(1, Math.floor((h.sessionExpiresAtMs - nowMs) / 1000));
      void reply.header('set-cookie', cookie(value, maxAgeS, req.protocol === 'https'));
      return { user: h.user, role: view.role, via: 'session' };
    },
  );

  app.get(
    '/healthz',
    {
      config: { role: 'none' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: Type.Object({ status: Type.Literal('ok'), instanceId: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, instanceId: deps.instanceId }),
  );

  // One drive probe at a time: a stalled drive leaves one hung call, not one per request.
  let probe: Promise<boolean> | undefined;
  let lastOk = false;
  const probeDrive = (): Promise<boolean> => {
    probe ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
      stat(join(deps.conf.sharedDir, 'log')).then(
        () => {
          clearTimeout(timer);
          resolve(true);
        },
        () => {
          clearTimeout(timer);
          resolve(false);
        },
      );
    }).then((ok) => {
      lastOk = ok;
      ctx.metrics.setStorageHealthy(ok);
      probe = undefined;
      return ok;
    });
    return probe;
  };
  app.get(
    '/readyz',
    {
      config: { role: 'none' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: caught up with the log and the drive answers',
        response: { 200: Type.Object({ ready: Type.Literal(true), seq: Type.Integer() }), ...errors(503) },
      },
    },
    async () => {
      const driveOk = await probeDrive();
      const running = ctx.log.status() === 'running';
      const caughtUp = deps.caughtUp?.() ?? running;
      if (!running || !caughtUp || !driveOk) {
        const detail = !running
          ? `its log is ${ctx.log.status()}`
          : !driveOk
            ? `the shared drive did not answer within ${PROBE_TIMEOUT_MS} ms`
            : 'it is still catching up with the log';
        throw new DarkroomError('E_NOT_READY', { instanceId: deps.instanceId, detail });
      }
      return { ready: true as const, seq: ctx.log.seq };
    },
  );
  app.get(
    '/metrics',
    { config: { role: 'none' }, schema: { tags: ['health'], summary: 'Prometheus text format' } },
    async (_req, reply) => {
      if (!lastOk) void probeDrive();
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    },
  );
}
