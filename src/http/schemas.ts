// The HTTP API's request and response schemas (TypeBox = JSON Schema): fastify validates requests
// and serialises responses with them, and @fastify/swagger turns the same objects into
// /api/openapi.json. docs/http.md is the overview.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { jobStates } from '../events/event-types.js';

const strict = { additionalProperties: false } as const;
const loose = Type.Object({}, { additionalProperties: true });

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'error code (docs/errors.md)', examples: ['E_CHANNEL_CONFLICT'] }),
    message: Type.String({ description: 'what went wrong, where' }),
    fix: Type.String({ description: 'what to do about it' }),
  },
  { $id: 'ErrorBody', ...strict, description: 'every error answer' },
);

export const Stamp = Type.Object(
  {
    seq: Type.Integer({ description: 'seq of the log record that wrote it' }),
    ts: Type.String({ description: 'when (ISO 8601, the writer clock)' }),
    by: Type.String({ description: 'the writing instance (or cli:<user>)' }),
  },
  { $id: 'Stamp', ...strict },
);
const stampRef = Type.Ref('Stamp');

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')], {
  $id: 'Role',
  description: 'admin: everything; operator: jobs, pause/resume, review; viewer: read only',
});
const roleRef = Type.Ref('Role');

export const JobStateSchema = Type.Union(
  jobStates.map((s) => Type.Literal(s)),
  { $id: 'JobState' },
);
const jobStateRef = Type.Ref('JobState');

const jobSummaryProps = {
  id: Type.String({ description: 'job id' }),
  channel: Type.String(),
  state: jobStateRef,
  attempt: Type.Integer({ description: '0 until first assigned' }),
  instanceId: Type.Optional(Type.String({ description: 'the instance holding (or that last held) it' })),
  relPath: Type.String({ description: 'the name (path below the input folder) of the image' }),
  bytes: Type.Integer(),
  submitted: stampRef,
  updated: stampRef,
  error: Type.Optional(
    Type.Object(
      { code: Type.String(), message: Type.String(), badPath: Type.Optional(Type.String()) },
      strict,
    ),
  ),
};
export const JobSummary = Type.Object(jobSummaryProps, { $id: 'JobSummary', ...strict });

export const Job = Type.Object(
  {
    ...jobSummaryProps,
    source: Type.String({ description: 'hotfolder path or upload:NAME' }),
    file: Type.String(),
    releases: Type.Integer({ description: 'attempts ended by a release (instance stopped or lost)' }),
    outcome: Type.Optional(Type.String()),
    outputs: Type.Optional(Type.Array(Type.String())),
    original: Type.Optional(Type.String()),
    timingsMs: Type.Optional(Type.Record(Type.String(), Type.Number())),
    verdict: Type.Optional(loose),
    preview: Type.Optional(Type.String()),
    review: Type.Optional(
      Type.Object(
        {
          decision: Type.String(),
          by: Type.String(),
          reason: Type.Optional(Type.String()),
          at: stampRef,
        },
        strict,
      ),
    ),
    cancelled: Type.Optional(Type.Object({ by: Type.String(), reason: Type.String() }, strict)),
    ticket: Type.Optional(loose),
  },
  { $id: 'Job', ...strict },
);

export const JobList = Type.Object(
  {
    jobs: Type.Array(Type.Ref('JobSummary')),
    total: Type.Integer({ description: 'all jobs matching the filters' }),
    nextBefore: Type.Optional(Type.Integer({ description: 'pass as `before` for the next (older) page' })),
  },
  { $id: 'JobList', ...strict },
);

export const JobListQuery = Type.Object(
  {
    state: Type.Optional(jobStateRef),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'only jobs with submitted.seq below it' })),
  },
  strict,
);

export const JobId = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._-]+$' }) },
  strict,
);

export const SubmitQuery = Type.Object(
  {
    channel: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'file name (raw uploads)' }),
    ),
  },
  strict,
);

export const Submitted = Type.Object(
  { id: Type.String(), seq: Type.Integer({ description: 'seq of the JobSubmitted record' }) },
  { $id: 'Submitted', ...strict },
);

export const CancelBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, strict);
export const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }), cancel: Type.Optional(Type.Boolean()) },
  strict,
);
export const ReprocessBody = Type.Object(
  {
    settings: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: 'pipeline overrides' }),
    ),
  },
  strict,
);

export const Channel = Type.Object(
  {
    name: Type.String(),
    revision: Type.Integer({ description: 'name it in edits; a stale one gets 409' }),
    settings: loose,
    paused: Type.Boolean(),
    pauseReason: Type.Optional(Type.String()),
    pausedAt: Type.Optional(stampRef),
    standby: Type.Optional(Type.String({ description: 'why the input folder cannot be watched' })),
    created: stampRef,
    updated: stampRef,
  },
  { $id: 'Channel', ...strict },
);

export const ChannelName = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, strict);
export const ChannelCreateBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._-]+$' }), settings: loose },
  strict,
);
export const ChannelPatchBody = Type.Object({ revision: Type.Integer({ minimum: 1 }), patch: loose }, strict);
export const ChannelPutBody = Type.Object(
  { revision: Type.Integer({ minimum: 1 }), settings: loose },
  strict,
);
export const ChannelDeleteQuery = Type.Object(
  { revision: Type.Optional(Type.Integer({ minimum: 1 })), force: Type.Optional(Type.Boolean()) },
  strict,
);
export const PauseBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })) }, strict);

export const LoginBody = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  strict,
);
export const HandoffBody = Type.Object(
  { handoff: Type.String({ minLength: 1, maxLength: 1024, description: 'from GET /api/session/handoff' }) },
  strict,
);
export const Me = Type.Object(
  { user: Type.String(), role: roleRef, via: Type.Optional(Type.String()) },
  { $id: 'Me', ...strict },
);
const password = Type.String({ minLength: 8, maxLength: 200 });
const userName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
export const UserName = Type.Object({ name: userName }, strict);
export const UserCreateBody = Type.Object({ user: userName, role: roleRef, password }, strict);
export const UserPatchBody = Type.Object(
  { role: Type.Optional(roleRef), password: Type.Optional(password) },
  strict,
);
export const UserList = Type.Object(
  {
    users: Type.Array(
      Type.Object(
        {
          user: Type.String(),
          role: roleRef,
          tokens: Type.Array(
            Type.Object({ id: Type.String(), label: Type.String(), created: stampRef }, strict),
          ),
        },
        strict,
      ),
    ),
  },
  strict,
);
export const TokenBody = Type.Object({ label: Type.Optional(Type.String({ maxLength: 200 })) }, strict);
export const TokenCreated = Type.Object(
  {
    id: Type.String(),
    token: Type.String({ description: 'shown once; send as Authorization: Bearer TOKEN' }),
  },
  strict,
);
export const TokenIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

export const EventsQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 1, default: 1 }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
    type: Type.Optional(Type.String({ maxLength: 2000, description: 'comma-separated record types' })),
  },
  strict,
);
export const LogRecordSchema = Type.Object(
  {
    seq: Type.Integer(),
    ts: Type.String(),
    by: Type.String(),
    inc: Type.Integer(),
    term: Type.Integer(),
    type: Type.String(),
    data: loose,
  },
  { $id: 'LogRecord', additionalProperties: true },
);
export const EventPage = Type.Object(
  {
    events: Type.Array(Type.Ref('LogRecord')),
    next: Type.Integer({ description: 'the seq to ask for next' }),
  },
  strict,
);
export const StreamQuery = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({ minimum: 1, description: 'first seq wanted (else Last-Event-ID + 1, else only new)' }),
    ),
    types: Type.Optional(Type.String({ maxLength: 2000 })),
    job: Type.Optional(Type.String({ maxLength: 200 })),
    channel: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);

export const Cluster = Type.Object(
  {
    instanceId: Type.String({ description: 'the instance answering' }),
    seq: Type.Integer(),
    term: Type.Integer(),
    coordinator: Type.Optional(
      Type.Object(
        { instanceId: Type.String(), inc: Type.Integer(), term: Type.Integer(), elected: stampRef },
        strict,
      ),
    ),
    instances: Type.Array(
      Type.Object(
        {
          instanceId: Type.String(),
          inc: Type.Integer(),
          host: Type.String(),
          pid: Type.Integer(),
          version: Type.String(),
          status: Type.String(),
          slots: Type.Integer(),
          started: stampRef,
          updated: stampRef,
          running: Type.Integer({ description: 'jobs it holds (assigned or processing)' }),
          heartbeatAgeMs: Type.Optional(
            Type.Number({ description: 'since its last heartbeat, as this instance saw it' }),
          ),
          httpUrl: Type.Optional(
            Type.String({
              description: 'where it serves HTTP (its conf server entry); the UI fails over there',
            }),
          ),
          state: Type.Optional(
            Type.String({
              description:
                'as observed (docs/cluster.md): running, starting, stopping, stopped, lost, storage stalled, unreachable, silent, never started',
            }),
          ),
          load: Type.Optional(
            Type.Number({
              description: 'from its heartbeat: jobs running per slot (0 idle, 1 all slots busy)',
            }),
          ),
          storage: Type.Optional(
            Type.Object(
              {
                lastOkAgeMs: Type.Number({ description: 'ms since its last drive call that answered' }),
                stalled: Type.Boolean({ description: 'its drive calls hang' }),
              },
              { additionalProperties: true },
            ),
          ),
          port: Type.Optional(
            Type.Object(
              {
                reachable: Type.Boolean({
                  description: 'its cluster port answered this instance as that server',
                }),
                reason: Type.Optional(Type.String()),
              },
              { additionalProperties: true },
            ),
          ),
          logLag: Type.Optional(Type.Integer({ description: 'events it is behind the log' })),
        },
        { additionalProperties: true },
      ),
    ),
    healthy: Type.Optional(Type.Boolean({ description: 'no warnings' })),
    warnings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            code: Type.String({
              description:
                'never-started, lost, silent, storage-stalled, unreachable-from-here, unreachable-from-peer, refused-by-peer, conf-differs, no-coordinator, log-lag, status-unobserved',
            }),
            instance: Type.Optional(Type.String({ description: 'the server it is about' })),
            message: Type.String({ description: 'what is wrong and what to do' }),
          },
          { additionalProperties: true },
        ),
        {
          description:
            'what this instance observed, each naming the fix (e.g. an instance unreachable on its cluster port)',
        },
      ),
    ),
    observedAt: Type.Optional(Type.String({ description: 'wall-clock time of the observation' })),
    observedAgeMs: Type.Optional(
      Type.Number({ description: 'ms since the observation (reused for about 2 s)' }),
    ),
  },
  { additionalProperties: true },
);

export const ReviewQuery = Type.Object({ channel: Type.Optional(Type.String({ maxLength: 200 })) }, strict);
export const ReviewList = Type.Object(
  {
    jobs: Type.Array(
      Type.Object(
        { ...jobSummaryProps, verdict: loose, message: Type.String({ description: 'for the reviewer' }) },
        strict,
      ),
    ),
  },
  strict,
);
export const StatsQuery = Type.Object(
  {
    bucketMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),
    buckets: Type.Integer({ minimum: 1, maximum: 1000, default: 60 }),
  },
  strict,
);
export const PreviewParams = Type.Object(
  { id: JobId.properties.id, which: Type.Union([Type.Literal('before'), Type.Literal('after')]) },
  strict,
);
export const ResultQuery = Type.Object({ n: Type.Integer({ minimum: 0, default: 0 }) }, strict);

/** Schemas referenced by $id (registered once with fastify.addSchema). */
export const sharedSchemas: readonly TSchema[] = [
  ErrorBody,
  Stamp,
  Role,
  JobStateSchema,
  JobSummary,
  Job,
  JobList,
  Submitted,
  Channel,
  Me,
  LogRecordSchema,
];

export type JobListQueryT = Static<typeof JobListQuery>;
export type SubmitQueryT = Static<typeof SubmitQuery>;
export type StreamQueryT = Static<typeof StreamQuery>;

/** The error answers of a route, for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) out[s] = Type.Ref('ErrorBody');
  return out;
}
