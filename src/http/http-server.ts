// The HTTP server of an instance: a fastify shell over the instance's log and projections (web
// service, administration, Inspector API, live events, health and metrics, the web UI).
// createHttpServer(deps) builds it; tests drive it with inject(), the instance starts it as a part.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyMultipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { systemClock } from '../clock.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { timeOrderedIds } from '../ids.js';
import { sessionKey } from '../users/credentials.js';
import { principalOf, requireRole } from './auth.js';
import { errorHandler, sendError } from './http-errors.js';
import type { HttpContext, HttpDeps } from './http-context.js';
import { createMetrics } from './metrics.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerSchemaRoutes } from './routes-schema.js';
import { registerEventRoutes, type LiveStreams } from './routes-events.js';
import { registerJobRoutes } from './routes-jobs.js';
import { registerSessionRoutes } from './routes-session.js';
import { sharedSchemas } from './schemas.js';
import { VERSION } from '../version.js';

export type { HttpDeps } from './http-context.js';

export type HttpStatus = 'created' | 'running' | 'stopping' | 'stopped';

export interface HttpServer {
  readonly app: FastifyInstance;
  /** Listens on `port` (0: a free one) and resolves with the port. */
  listen(port: number, host?: string): Promise<number>;
  /** From now on new requests get 503 E_INSTANCE_STOPPING and live streams say bye and close; the
   *  server keeps answering so (while the instance drains) until stop(). */
  beginStop(): void;
  /** beginStop(), then the server closes (requests in flight finish). Idempotent. */
  stop(): Promise<void>;
  status(): { status: HttpStatus; port?: number; streams: number };
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

function defaultWebDir(): string | undefined {
  for (const rel of ['../../web/dist', '../../web']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return undefined;
}

/** Builds the server (not listening yet). */
export async function createHttpServer(deps: HttpDeps): Promise<HttpServer> {
  const clock = deps.clock ?? systemClock;
  const { log, conf } = deps;
  let status: HttpStatus = 'created';
  let port: number | undefined;
  const logger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given)
        ? given
        : randomBytes(8).toString('hex');
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    forceCloseConnections: 'idle',
    return503OnClosing: false,
  });
  const metrics = createMetrics(log, deps.heartbeatAges ?? (() => new Map()));
  const ctx: HttpContext = {
    deps,
    log,
    clock,
    ids: deps.ids ?? timeOrderedIds(() => clock.wallTime()),
    logger,
    sessionKey: sessionKey(conf.secret),
    metrics,
    state: () => log.state,
    append: async (events, conditions = []) => {
      const t = clock.now();
      const records = await log.append(events, { conditions });
      const last = records.at(-1);
      if (last !== undefined) await log.whenApplied(last.seq);
      metrics.observeAppend((clock.now() - t) / 1000);
      return records;
    },
    isStopping: () => status === 'stopping' || status === 'stopped',
  };

  for (const s of sharedSchemas) app.addSchema(s);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'darkroom', version: VERSION, description: 'docs/http.md gives the overview' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'darkroom_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _frag, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
  });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, c) =>
      new DarkroomError('E_RATE_LIMITED', { what: 'login', retryAfterS: Math.ceil(c.ttl / 1000) }),
  });
  await app.register(fastifyMultipart, {
    limits: { fileSize: conf.maxUploadBytes, files: 1, fields: 4, fieldSize: 1024 * 1024, parts: 6 },
  });
  // Raw uploads: the body stays a stream; the route writes it to the work folder with its own limit.
  app.addContentTypeParser(/^(image\/|application\/octet-stream)/, (_req, payload, done) => {
    done(null, payload);
  });

  app.setErrorHandler(errorHandler(conf.maxUploadBytes));
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new DarkroomError('E_NOT_FOUND', { method: req.method, path: req.url.split('?')[0] })),
  );

  app.addHook('onRequest', async (req, reply) => {
    void reply.headers({
      'x-request-id': req.id,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'content-security-policy':
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    });
    if (ctx.isStopping() && req.url !== '/healthz') {
      void reply.header('connection', 'close');
      throw new DarkroomError('E_INSTANCE_STOPPING', { instanceId: deps.instanceId });
    }
    const cfg = req.routeOptions.config;
    const role = cfg.role;
    if (role === undefined || role === 'none') {
      // Optional identity (e.g. /api/logout); a bad credential is no error on open routes.
      return;
    }
    const p = principalOf(req, log.state, ctx.sessionKey, clock.wallTime().getTime());
    req.principal = requireRole(p, role, cfg.action ?? `${req.method} ${req.routeOptions.url ?? req.url}`);
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.routeOptions.url ?? 'unknown', req.method, reply.statusCode);
  });

  const streams: LiveStreams = registerEventRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerSchemaRoutes(app, ctx);
  app.get('/api/openapi.json', { config: { role: 'none' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  const webDir = deps.webDir ?? defaultWebDir();
  if (webDir !== undefined && existsSync(webDir)) {
    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/ui/',
      index: ['index.html'],
      wildcard: true,
    });
  }
  app.get('/', { config: { role: 'none' }, schema: { hide: true } }, async (_req, reply) =>
    reply.redirect('/ui/'),
  );

  await app.ready();

  let stopping: Promise<void> | undefined;
  return {
    app,
    async listen(p: number, host = '0.0.0.0'): Promise<number> {
      await app.listen({ port: p, host });
      const addr = app.server.address();
      port = typeof addr === 'object' && addr !== null ? addr.port : p;
      status = 'running';
      logger.info({ port, host }, 'http listening');
      return port;
    },
    beginStop(): void {
      if (status === 'stopping' || status === 'stopped') return;
      status = 'stopping';
      streams.closeAll('instance stopping');
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (status !== 'stopped') {
          status = 'stopping';
          streams.closeAll('instance stopping');
        }
        try {
          await app.close();
        } finally {
          metrics.close();
          status = 'stopped';
        }
      })();
      return stopping;
    },
    status: () => ({ status, ...(port !== undefined ? { port } : {}), streams: streams.count() }),
  };
}
