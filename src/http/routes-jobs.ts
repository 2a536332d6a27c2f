// The web service (stable routes client programs rely on): submit an image to a channel, read a
// job and its state, list and filter jobs, download the result, retry and cancel.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decideJobAction, type JobAction } from '../cli/jobs-commands.js';
import { DarkroomError, asDarkroomError } from '../errors/darkroom-error.js';
import { parseJobTicket } from '../hotfolders/job-ticket.js';
import { workDirOf } from '../hotfolders/take-file.js';
import { settingsFor, type TicketOverrides } from '../instance/process-job.js';
import { mergePatch } from '../channels/settings-paths.js';
import { rm } from 'node:fs/promises';
import type { HttpContext } from './http-context.js';
import { jobDetail, listJobPage } from './job-views.js';
import { contentTypeOf, localPath } from './job-files.js';
import { storeUpload, type StoredUpload } from './upload.js';
import {
  CancelBody,
  errors,
  JobId,
  JobListQuery,
  RejectBody,
  ResultQuery,
  SubmitQuery,
  type SubmitQueryT,
} from './schemas.js';
import { registerInspectorRoutes } from './routes-inspector.js';

export interface SubmitInput {
  readonly channel: string;
  readonly name: string;
  readonly body: Readable;
  readonly ticket?: TicketOverrides;
  readonly user: string;
}

/** The ticket overrides of an upload: an XML ticket and/or JSON settings overrides, validated for the channel. */
function uploadTicket(
  ctx: HttpContext,
  channel: string,
  name: string,
  xml: string | undefined,
  settingsJson: string | undefined,
): TicketOverrides | undefined {
  let t: TicketOverrides = {};
  if (xml !== undefined) {
    const ticket = parseJobTicket(xml, 'ticket');
    t = {
      ...(ticket.reference !== undefined ? { reference: ticket.reference } : {}),
      ...(ticket.outputFolder !== undefined ? { outputFolder: ticket.outputFolder } : {}),
      ...(ticket.resultTicket ? { resultTicket: true } : {}),
      ...(ticket.iptc !== undefined ? { iptc: ticket.iptc } : {}),
      overrides: ticket.overrides,
    };
  }
  if (settingsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(settingsJson);
    } catch (err) {
      throw new DarkroomError('E_REQUEST_INVALID', {
        where: 'settings',
        detail: `not JSON: ${(err as Error).message}`,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DarkroomError('E_REQUEST_INVALID', {
        where: 'settings',
        detail: 'must be a JSON object of pipeline settings',
      });
    }
    t = { ...t, overrides: mergePatch(t.overrides ?? {}, parsed as Record<string, unknown>) };
  }
  if (Object.keys(t).length === 0) return undefined;
  const view = ctx.state().config.channels.get(channel);
  if (view !== undefined && view.settings['type'] !== 'routing') settingsFor(channel, view.settings, t);
  return { file: name, ...t };
}

function usableChannel(ctx: HttpContext, channel: string): void {
  const view = ctx.state().config.channels.get(channel);
  if (view === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: channel });
  const type = view.settings['type'];
  if (type === 'purging') {
    throw new DarkroomError('E_REQUEST_INVALID', {
      where: 'query/channel',
      detail: `channel ${channel} is a purging channel; submit to a process or routing channel`,
    });
  }
}

/** Stores an upload as a new job and appends JobSubmitted; resolves once applied here. */
export async function submitJob(
  ctx: HttpContext,
  s: {
    channel: string;
    name: string;
    user: string;
    ticket?: TicketOverrides;
    store: (jobId: string) => Promise<StoredUpload>;
  },
): Promise<{ id: string; seq: number }> {
  const jobId = ctx.ids.next();
  const stored = await s.store(jobId);
  try {
    const [rec] = await ctx.append(
      [
        {
          type: 'JobSubmitted',
          data: {
            jobId,
            channel: s.channel,
            source: `upload:${stored.file}`,
            relPath: stored.file,
            workDir: stored.workDirRel,
            file: stored.file,
            bytes: stored.bytes,
            ...(s.ticket !== undefined ? { ticket: { ...s.ticket } } : {}),
            submittedBy: ctx.deps.instanceId,
            by: s.user,
          },
        },
      ],
      [{ kind: 'jobAbsent', jobId }],
    );
    return { id: jobId, seq: rec!.seq };
  } catch (err) {
    const e = asDarkroomError(err);
    // Refused (not written): nothing refers to the work folder. Not acknowledged: it may be in
    // the log, so the folder stays for orphan recovery.
    if (e.code === 'E_LOG_CONDITION_FAILED')
      await rm(workDirOf(ctx.deps.conf.sharedDir, jobId), { recursive: true, force: true });
    throw err;
  }
}

async function receiveSubmission(
  ctx: HttpContext,
  req: FastifyRequest,
): Promise<{ id: string; seq: number }> {
  const q = req.query as SubmitQueryT;
  const user = req.principal!.user;
  const limit = ctx.deps.conf.maxUploadBytes;
  const sharedDir = ctx.deps.conf.sharedDir;
  usableChannel(ctx, q.channel);
  if (!req.isMultipart()) {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) throw new DarkroomError('E_UPLOAD_TOO_LARGE', { limit });
    const name = q.name ?? `upload-${new Date().toISOString().replace(/[-:.]/g, '')}.jpg`;
    const body = req.body as Readable | undefined;
    if (body === undefined || typeof body.pipe !== 'function') {
      throw new DarkroomError('E_REQUEST_INVALID', {
        where: 'body',
        detail:
          'send the image bytes (content-type image/* or application/octet-stream) or multipart/form-data',
      });
    }
    return submitJob(ctx, {
      channel: q.channel,
      name,
      user,
      store: (jobId) => storeUpload(sharedDir, jobId, q.channel, name, body, limit),
    });
  }
  // multipart: fields `ticket` (XML) and `settings` (JSON) may come before or after `file`.
  let xml: string | undefined;
  let settings: string | undefined;
  let stored: { jobId: string; upload: StoredUpload } | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname === 'ticket') {
          xml = (await part.toBuffer()).toString('utf8');
          continue;
        }
        if (part.fieldname !== 'file' || stored !== undefined) {
          part.file.resume();
          throw new DarkroomError('E_REQUEST_INVALID', {
            where: `multipart/${part.fieldname}`,
            detail: 'send one image in the part named "file"',
          });
        }
        const jobId = ctx.ids.next();
        const upload = await storeUpload(
          sharedDir,
          jobId,
          q.channel,
          q.name ?? part.filename,
          part.file,
          limit,
        );
        if (part.file.truncated) throw new DarkroomError('E_UPLOAD_TOO_LARGE', { limit });
        stored = { jobId, upload };
      } else if (part.fieldname === 'ticket') xml = String(part.value);
      else if (part.fieldname === 'settings') settings = String(part.value);
      else
        throw new DarkroomError('E_REQUEST_INVALID', {
          where: `multipart/${part.fieldname}`,
          detail: 'unknown part (file, ticket, settings)',
        });
    }
    if (stored === undefined)
      throw new DarkroomError('E_REQUEST_INVALID', {
        where: 'multipart/file',
        detail: 'no image part named "file"',
      });
    const ticket = uploadTicket(ctx, q.channel, stored.upload.file, xml, settings);
    const done = stored;
    stored = undefined;
    return await submitJob(ctx, {
      channel: q.channel,
      name: done.upload.file,
      user,
      ...(ticket !== undefined ? { ticket } : {}),
      store: async () => done.upload,
    }).then(
      (r) => r,
      async (err: unknown) => {
        stored = done;
        throw err;
      },
    );
  } catch (err) {
    if (stored !== undefined) await rm(workDirOf(sharedDir, stored.jobId), { recursive: true, force: true });
    throw err;
  }
}

export function registerJobRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const getJob = (id: string) => {
    const job = ctx.state().jobs.all.get(id);
    if (job === undefined) throw new DarkroomError('E_JOB_UNKNOWN', { jobId: id });
    return job;
  };

  app.post(
    '/api/jobs',
    {
      config: { role: 'operator', action: 'submit jobs' },
      schema: {
        tags: ['jobs'],
        summary: 'Submit an image to a channel (raw bytes, or multipart: file, ticket, settings)',
        querystring: SubmitQuery,
        consumes: [
          'image/jpeg',
          'image/png',
          'image/tiff',
          'application/octet-stream',
          'multipart/form-data',
        ],
        response: { 201: Type.Ref('Submitted'), ...errors(400, 401, 403, 404, 413, 422, 503) },
      },
    },
    async (req, reply) => reply.code(201).send(await receiveSubmission(ctx, req)),
  );

  app.get(
    '/api/jobs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'List jobs, newest first, filtered by state and channel',
        querystring: JobListQuery,
        response: { 200: Type.Ref('JobList'), ...errors(400, 401, 403) },
      },
    },
    async (req) => listJobPage(ctx.state(), req.query as Parameters<typeof listJobPage>[1]),
  );

  app.get(
    '/api/jobs/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'A job and its state',
        params: JobId,
        response: { 200: Type.Ref('Job'), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => jobDetail(getJob((req.params as { id: string }).id)),
  );

  app.get(
    '/api/jobs/:id/result',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'The output image of a completed job',
        params: JobId,
        querystring: ResultQuery,
        response: {
          200: { description: 'the image bytes', type: 'string', format: 'binary' },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const job = getJob((req.params as { id: string }).id);
      const n = (req.query as { n: number }).n;
      const recorded = job.state === 'completed' ? job.outputs?.[n] : undefined;
      if (recorded === undefined) {
        throw new DarkroomError('E_JOB_STATE', {
          jobId: job.jobId,
          state: job.state,
          detail:
            job.state === 'completed' ? `it has no output ${n}` : 'a result is there once it is completed',
        });
      }
      const path = await localPath(ctx.deps.conf.sharedDir, recorded);
      if (path === undefined)
        throw new DarkroomError('E_INPUT_MISSING', { jobId: job.jobId, file: recorded });
      const name = basename(path).replace(/["\\\r\n]/g, '_');
      return reply
        .type(contentTypeOf(path))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(createReadStream(path));
    },
  );

  const action = (
    path: string,
    summary: string,
    role: 'operator',
    body: typeof CancelBody | typeof RejectBody | undefined,
    make: (b: Record<string, unknown>, user: string) => JobAction,
  ) =>
    app.post(
      `/api/jobs/:id/${path}`,
      {
        config: { role, action: `${path} jobs` },
        schema: {
          tags: ['jobs'],
          summary,
          params: JobId,
          ...(body !== undefined ? { body } : {}),
          response: { 200: Type.Ref('Job'), ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      async (req) => {
        const id = (req.params as { id: string }).id;
        const d = decideJobAction(
          ctx.state(),
          id,
          make((req.body ?? {}) as Record<string, unknown>, req.principal!.user),
        );
        await ctx.append(d.events, d.conditions).catch((err: unknown) => {
          const e = asDarkroomError(err);
          if (e.code !== 'E_LOG_CONDITION_FAILED') throw err;
          const job = getJob(id);
          throw new DarkroomError(
            'E_JOB_STATE',
            { jobId: id, state: job.state, detail: 'it changed meanwhile' },
            { cause: err },
          );
        });
        return jobDetail(getJob(id));
      },
    );
  action('retry', 'Retry a failed job', 'operator', undefined, (_b, by) => ({ kind: 'retry', by }));
  action('cancel', 'Cancel an open job', 'operator', CancelBody, (b, by) => ({
    kind: 'cancel',
    by,
    reason: typeof b['reason'] === 'string' ? b['reason'] : 'cancelled over HTTP',
  }));
  action('approve', 'Approve a job in review (the output is published)', 'operator', undefined, (_b, by) => ({
    kind: 'approve',
    by,
  }));
  action(
    'reject',
    'Reject a job in review (to the bad folder with the reason, or cancel)',
    'operator',
    RejectBody,
    (b, by) => ({
      kind: 'reject',
      by,
      reason: String(b['reason']),
      cancel: b['cancel'] === true,
    }),
  );

  registerInspectorRoutes(app, ctx, getJob);
}
