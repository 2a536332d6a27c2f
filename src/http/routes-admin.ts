// Administration: channels (create, read, update with the revision edited, delete, pause,
// resume) through the channel decider, users and API tokens through the user decider, and the
// cluster status.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { appendChannelDecision } from '../channels/channel-admin.js';
import { decideChannelChange, type ChannelCommand } from '../channels/decide-channel-change.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { ServerEntry } from '../cluster/conf.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { heldStates } from '../projections/jobs.js';
import type { ProjectionState } from '../projections/state.js';
import { hashPassword, newToken } from '../users/credentials.js';
import { decideUserChange, type Role, type UserCommand } from '../users/decide-user-change.js';
import { withObservation } from './cluster-view.js';
import type { HttpContext } from './http-context.js';
import {
  ChannelCreateBody,
  ChannelDeleteQuery,
  ChannelName,
  ChannelPatchBody,
  ChannelPutBody,
  Cluster,
  errors,
  PauseBody,
  TokenBody,
  TokenCreated,
  TokenIdParams,
  UserCreateBody,
  UserList,
  UserName,
  UserPatchBody,
} from './schemas.js';

/** The person's name on every event a decider returned (`by`). */
function byUser(events: readonly DarkroomEvent[], user: string): DarkroomEvent[] {
  return events.map((e) => ({ ...e, data: { ...e.data, by: user } }) as DarkroomEvent);
}

/** The cluster status from the projection: instances, their holdings, the coordinator. */
export function clusterFromProjection(
  state: ProjectionState,
  instanceId: string,
  heartbeatAges: ReadonlyMap<string, number>,
  servers: readonly ServerEntry[] = [],
): Record<string, unknown> {
  // Where each instance serves HTTP, from its conf server entry: the web UI moves there when the
  // instance it talks to stops (docs/web-ui.md, Failover).
  const httpUrl = new Map(servers.map((s) => [s.name, `http://${s.host}:${s.httpPort}`]));
  const running = new Map<string, number>();
  for (const id of state.jobs.open) {
    const j = state.jobs.all.get(id);
    if (j?.instanceId !== undefined && heldStates.includes(j.state)) {
      running.set(j.instanceId, (running.get(j.instanceId) ?? 0) + 1);
    }
  }
  const c = state.cluster.coordinator;
  return {
    instanceId,
    seq: state.meta.seq,
    term: state.cluster.term,
    ...(c !== undefined
      ? { coordinator: { instanceId: c.instanceId, inc: c.inc, term: c.term, elected: c.elected } }
      : {}),
    instances: [...state.cluster.instances.values()]
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId))
      .map((i) => {
        const age = heartbeatAges.get(i.instanceId);
        return {
          instanceId: i.instanceId,
          inc: i.inc,
          host: i.host,
          pid: i.pid,
          version: i.version,
          status: i.status,
          slots: i.slots,
          started: i.started,
          updated: i.updated,
          running: running.get(i.instanceId) ?? 0,
          ...(age !== undefined ? { heartbeatAgeMs: age } : {}),
          ...(httpUrl.has(i.instanceId) ? { httpUrl: httpUrl.get(i.instanceId) } : {}),
        };
      }),
  };
}

export function registerAdminRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const channelView = (name: string) => {
    const view = ctx.state().config.channels.get(name);
    if (view === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name });
    return view;
  };
  const change = async (command: ChannelCommand, user: string) => {
    const d = decideChannelChange(ctx.state(), command);
    const records = await appendChannelDecision(ctx.log, {
      events: byUser(d.events, user),
      conditions: d.conditions,
    });
    const last = records.at(-1);
    if (last !== undefined) await ctx.log.whenApplied(last.seq);
  };
  const channelResponse = { 200: Type.Ref('Channel'), ...errors(400, 401, 403, 404, 409, 503) };

  app.get(
    '/api/channels',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['channels'],
        summary: 'All channels, by name',
        response: { 200: Type.Object({ channels: Type.Array(Type.Ref('Channel')) }), ...errors(401, 403) },
      },
    },
    async () => ({
      channels: [...ctx.state().config.channels.values()].sort((a, b) => a.name.localeCompare(b.name)),
    }),
  );
  app.post(
    '/api/channels',
    {
      config: { role: 'admin', action: 'create channels' },
      schema: {
        tags: ['channels'],
        summary: 'Create a channel',
        body: ChannelCreateBody,
        response: { 201: Type.Ref('Channel'), ...errors(400, 401, 403, 409, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; settings: unknown };
      await change({ kind: 'create', channel: b.name, settings: b.settings }, req.principal!.user);
      return reply.code(201).send(channelView(b.name));
    },
  );
  app.get(
    '/api/channels/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['channels'],
        summary: 'A channel',
        params: ChannelName,
        response: { 200: Type.Ref('Channel'), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => channelView((req.params as { name: string }).name),
  );
  app.patch(
    '/api/channels/:name',
    {
      config: { role: 'admin', action: 'change channels' },
      schema: {
        tags: ['channels'],
        summary: 'Change settings (merge patch) at the revision edited',
        params: ChannelName,
        body: ChannelPatchBody,
        response: channelResponse,
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const b = req.body as { revision: number; patch: Record<string, unknown> };
      await change(
        { kind: 'update', channel: name, patch: b.patch, expectedRevision: b.revision },
        req.principal!.user,
      );
      return channelView(name);
    },
  );
  app.put(
    '/api/channels/:name',
    {
      config: { role: 'admin', action: 'change channels' },
      schema: {
        tags: ['channels'],
        summary: 'Replace the settings at the revision edited',
        params: ChannelName,
        body: ChannelPutBody,
        response: channelResponse,
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const b = req.body as { revision: number; settings: unknown };
      await change(
        { kind: 'update', channel: name, settings: b.settings, expectedRevision: b.revision },
        req.principal!.user,
      );
      return channelView(name);
    },
  );
  app.delete(
    '/api/channels/:name',
    {
      config: { role: 'admin', action: 'delete channels' },
      schema: {
        tags: ['channels'],
        summary: 'Delete a channel',
        params: ChannelName,
        querystring: ChannelDeleteQuery,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      const q = req.query as { revision?: number; force?: boolean };
      await change(
        {
          kind: 'delete',
          channel: name,
          ...(q.revision !== undefined ? { expectedRevision: q.revision } : {}),
          ...(q.force === true ? { force: true } : {}),
        },
        req.principal!.user,
      );
      return reply.code(204).send();
    },
  );
  app.post(
    '/api/channels/:name/pause',
    {
      config: { role: 'operator', action: 'pause channels' },
      schema: {
        tags: ['channels'],
        summary: 'Pause a channel',
        params: ChannelName,
        body: PauseBody,
        response: channelResponse,
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const reason =
        (req.body as { reason?: string } | undefined)?.reason ?? `paused by ${req.principal!.user}`;
      await change({ kind: 'pause', channel: name, reason }, req.principal!.user);
      return channelView(name);
    },
  );
  app.post(
    '/api/channels/:name/resume',
    {
      config: { role: 'operator', action: 'resume channels' },
      schema: {
        tags: ['channels'],
        summary: 'Resume a channel',
        params: ChannelName,
        response: channelResponse,
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      await change({ kind: 'resume', channel: name }, req.principal!.user);
      return channelView(name);
    },
  );

  // --- users and tokens ---------------------------------------------------------------
  const userChange = async (command: UserCommand, by: string) => {
    const d = decideUserChange(ctx.state(), command, by);
    if (d.events.length > 0) await ctx.append(d.events, d.conditions);
  };
  const userOut = (name: string) => {
    const u = ctx.state().config.users.get(name);
    if (u === undefined) throw new DarkroomError('E_USER_UNKNOWN', { user: name });
    return { user: u.user, role: u.role };
  };
  const userResponse = Type.Object({ user: Type.String(), role: Type.Ref('Role') });

  app.get(
    '/api/users',
    {
      config: { role: 'admin', action: 'list users' },
      schema: {
        tags: ['users'],
        summary: 'Users, their roles and tokens',
        response: { 200: UserList, ...errors(401, 403) },
      },
    },
    async () => ({
      users: [...ctx.state().config.users.values()]
        .sort((a, b) => a.user.localeCompare(b.user))
        .map((u) => ({
          user: u.user,
          role: u.role,
          tokens: (u.tokens ?? []).map((t) => ({ id: t.tokenId, label: t.label, created: t.created })),
        })),
    }),
  );
  app.post(
    '/api/users',
    {
      config: { role: 'admin', action: 'add users' },
      schema: {
        tags: ['users'],
        summary: 'Add a user',
        body: UserCreateBody,
        response: { 201: userResponse, ...errors(400, 401, 403, 409, 503) },
      },
    },
    async (req, reply) => {
      const b = req.body as { user: string; role: Role; password: string };
      if (ctx.state().config.users.has(b.user)) throw new DarkroomError('E_USER_EXISTS', { user: b.user });
      const passwordHash = await hashPassword(b.password);
      await userChange({ kind: 'add', user: b.user, role: b.role, passwordHash }, req.principal!.user);
      // Two adds racing: the replay rules keep the first; ours lost if the hash is not ours.
      if (ctx.state().config.users.get(b.user)?.passwordHash !== passwordHash)
        throw new DarkroomError('E_USER_EXISTS', { user: b.user });
      return reply.code(201).send(userOut(b.user));
    },
  );
  app.patch(
    '/api/users/:name',
    {
      // Everyone may change their own password; the handler checks the rest.
      config: { role: 'viewer', action: 'change users' },
      schema: {
        tags: ['users'],
        summary: 'Change a role or password',
        params: UserName,
        body: UserPatchBody,
        response: { 200: userResponse, ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const b = req.body as { role?: Role; password?: string };
      const p = req.principal!;
      const self = p.user === name && b.role === undefined;
      if (p.role !== 'admin' && !self) {
        throw new DarkroomError('E_FORBIDDEN', {
          user: p.user,
          role: p.role,
          action: `change user ${name}`,
          needs: 'admin',
        });
      }
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password);
      await userChange(
        {
          kind: 'change',
          user: name,
          ...(b.role !== undefined ? { role: b.role } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
        },
        p.user,
      );
      return userOut(name);
    },
  );
  app.delete(
    '/api/users/:name',
    {
      config: { role: 'admin', action: 'remove users' },
      schema: {
        tags: ['users'],
        summary: 'Remove a user',
        params: UserName,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      await userChange({ kind: 'remove', user: (req.params as { name: string }).name }, req.principal!.user);
      return reply.code(204).send();
    },
  );
  app.post(
    '/api/users/:name/tokens',
    {
      config: { role: 'admin', action: 'create tokens' },
      schema: {
        tags: ['users'],
        summary: 'Create an API token (shown once)',
        params: UserName,
        body: TokenBody,
        response: { 201: TokenCreated, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      const t = newToken();
      const label = (req.body as { label?: string } | undefined)?.label ?? '';
      await userChange(
        { kind: 'createToken', user: name, tokenId: t.tokenId, hash: t.hash, label },
        req.principal!.user,
      );
      return reply.code(201).send({ id: t.tokenId, token: t.token });
    },
  );
  app.delete(
    '/api/tokens/:id',
    {
      config: { role: 'admin', action: 'revoke tokens' },
      schema: {
        tags: ['users'],
        summary: 'Revoke a token',
        params: TokenIdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      await userChange(
        { kind: 'revokeToken', tokenId: (req.params as { id: string }).id },
        req.principal!.user,
      );
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/cluster',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['cluster'],
        summary: 'Cluster status (as `darkroom cluster status --json`)',
        response: { 200: Cluster, ...errors(401, 403) },
      },
    },
    async () => {
      const observed = await ctx.deps.observeCluster?.();
      return withObservation(
        clusterFromProjection(
          ctx.state(),
          ctx.deps.instanceId,
          ctx.deps.heartbeatAges?.() ?? new Map(),
          ctx.deps.conf.servers,
        ),
        observed,
      );
    },
  );
}
