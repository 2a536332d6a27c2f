// The Inspector API: a job with its analysis, corrections, timings and history, before/after
// previews and histograms, reprocessing with adjusted settings, the review queue, and counts and
// throughput per channel and instance over time.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DarkroomError } from '../errors/darkroom-error.js';
import { readRecords } from '../events/log-reader.js';
import { makePreviews, type Previews } from '../imaging/previews.js';
import type { TicketOverrides } from '../instance/process-job.js';
import { settingsFor } from '../instance/process-job.js';
import type { JobView } from '../projections/state.js';
import type { HttpContext } from './http-context.js';
import { inputPath, localPath } from './job-files.js';
import { jobDetail, jobSummary } from './job-views.js';
import { recordOut } from './routes-events.js';
import { submitJob } from './routes-jobs.js';
import {
  errors,
  JobId,
  PreviewParams,
  ReprocessBody,
  ReviewList,
  ReviewQuery,
  StatsQuery,
} from './schemas.js';
import { storeUpload } from './upload.js';

const PREVIEW_SIZE = 512;
const HISTORY_SCAN_MAX = 20_000;

export function registerInspectorRoutes(
  app: FastifyInstance,
  ctx: HttpContext,
  getJob: (id: string) => JobView,
): void {
  const sharedDir = ctx.deps.conf.sharedDir;
  const cache = new Map<string, Promise<Previews>>();

  async function outputOf(job: JobView): Promise<string | undefined> {
    const recorded = job.state === 'review' ? job.preview : job.outputs?.[0];
    return recorded === undefined ? undefined : localPath(sharedDir, recorded);
  }

  function previewsOf(job: JobView): Promise<Previews> {
    const key = `${job.jobId}@${job.updated.seq}`;
    let p = cache.get(key);
    if (p === undefined) {
      p = (async () => {
        const input = await inputPath(sharedDir, job);
        const output = await outputOf(job);
        if (input === undefined)
          throw new DarkroomError('E_INPUT_MISSING', { jobId: job.jobId, file: job.file });
        const before = await readFile(input);
        const after = output === undefined ? before : await readFile(output);
        return makePreviews(before, after, PREVIEW_SIZE, job.relPath);
      })();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      while (cache.size > 32) cache.delete(cache.keys().next().value!);
    }
    return p;
  }

  app.get(
    '/api/jobs/:id/inspect',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['inspector'],
        summary: 'A job with its analysis, corrections, verdict, timings, instance and history',
        params: JobId,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const job = getJob((req.params as { id: string }).id);
      const history: Record<string, unknown>[] = [];
      let analysis: unknown;
      let corrections: unknown;
      const from = job.submitted.seq;
      const to = Math.min(job.updated.seq, from + HISTORY_SCAN_MAX);
      for await (const e of readRecords(sharedDir, { from, to })) {
        const d = e.record.data as { jobId?: unknown };
        if (d.jobId !== job.jobId) continue;
        history.push(recordOut(e.record));
        if (e.record.type === 'JobCompleted') {
          analysis = e.record.data.analysis;
          corrections = e.record.data.corrections;
        }
      }
      const output = await outputOf(job);
      const input = await inputPath(sharedDir, job);
      return {
        job: jobDetail(job),
        ...(analysis !== undefined ? { analysis } : {}),
        ...(corrections !== undefined ? { corrections } : {}),
        ...(job.verdict !== undefined ? { verdict: job.verdict } : {}),
        ...(job.timingsMs !== undefined ? { timingsMs: job.timingsMs } : {}),
        ...(job.instanceId !== undefined ? { instanceId: job.instanceId } : {}),
        history,
        previews: {
          ...(input !== undefined ? { before: `/api/jobs/${job.jobId}/previews/before` } : {}),
          ...(input !== undefined && output !== undefined
            ? { after: `/api/jobs/${job.jobId}/previews/after` }
            : {}),
        },
      };
    },
  );

  app.get(
    '/api/jobs/:id/previews/:which',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['inspector'],
        summary: 'Before (input) or after (output) preview, a small JPEG',
        params: PreviewParams,
        response: {
          200: { description: 'image/jpeg', type: 'string', format: 'binary' },
          ...errors(400, 401, 403, 404, 500),
        },
      },
    },
    async (req, reply) => {
      const { id, which } = req.params as { id: string; which: 'before' | 'after' };
      const p = await previewsOf(getJob(id));
      return reply
        .type('image/jpeg')
        .header('cache-control', 'private, max-age=300')
        .send(which === 'before' ? p.before : p.after);
    },
  );

  app.get(
    '/api/jobs/:id/histograms',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['inspector'],
        summary: '64-bin luminance histograms of the before and after previews',
        params: JobId,
        response: {
          200: Type.Object({ before: Type.Array(Type.Integer()), after: Type.Array(Type.Integer()) }),
          ...errors(400, 401, 403, 404, 500),
        },
      },
    },
    async (req) => {
      const p = await previewsOf(getJob((req.params as { id: string }).id));
      return { before: p.histogramBefore, after: p.histogramAfter };
    },
  );

  app.post(
    '/api/jobs/:id/reprocess',
    {
      config: { role: 'operator', action: 'reprocess jobs' },
      schema: {
        tags: ['inspector'],
        summary: 'A new job on the same input, with adjusted settings',
        params: JobId,
        body: ReprocessBody,
        response: { 201: Type.Ref('Submitted'), ...errors(400, 401, 403, 404, 500, 503) },
      },
    },
    async (req, reply) => {
      const job = getJob((req.params as { id: string }).id);
      const settings = (req.body as { settings?: Record<string, unknown> } | undefined)?.settings;
      const input = await inputPath(sharedDir, job);
      if (input === undefined)
        throw new DarkroomError('E_INPUT_MISSING', { jobId: job.jobId, file: job.file });
      const before = (job.ticket ?? {}) as TicketOverrides;
      const ticket: TicketOverrides = {
        ...before,
        file: job.file,
        overrides: { ...(before.overrides ?? {}), ...(settings ?? {}) },
      };
      const view = ctx.state().config.channels.get(job.channel);
      if (view === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: job.channel });
      if (view.settings['type'] !== 'routing') settingsFor(job.channel, view.settings, ticket);
      const r = await submitJob(ctx, {
        channel: job.channel,
        name: job.file,
        user: req.principal!.user,
        ticket,
        store: (jobId) =>
          storeUpload(
            sharedDir,
            jobId,
            job.channel,
            job.file,
            createReadStream(input),
            Number.MAX_SAFE_INTEGER,
          ),
      });
      return reply.code(201).send(r);
    },
  );

  app.get(
    '/api/review',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['review'],
        summary: 'Jobs waiting for a person (the review queue), oldest first',
        querystring: ReviewQuery,
        response: { 200: ReviewList, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const channel = (req.query as { channel?: string }).channel;
      const state = ctx.state();
      const jobs = [];
      for (const id of state.jobs.open) {
        const j = state.jobs.all.get(id);
        if (j?.state !== 'review' || (channel !== undefined && j.channel !== channel)) continue;
        const verdict = (j.verdict ?? {}) as { reasons?: unknown };
        const reasons = Array.isArray(verdict.reasons) ? verdict.reasons.map(String) : [];
        const wf = state.config.channels.get(j.channel)?.settings['workflow'];
        const workflow = typeof wf === 'string' ? wf : 'all-to-review';
        const message =
          reasons.length > 0
            ? `The quality check flagged: ${reasons.join('; ')}`
            : `Channel ${j.channel} (workflow ${workflow}) sends every image to review.`;
        jobs.push({ ...jobSummary(j), verdict: j.verdict ?? {}, message });
      }
      jobs.sort((a, b) => a.updated.seq - b.updated.seq);
      return { jobs };
    },
  );

  app.get(
    '/api/stats',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['inspector'],
        summary: 'Counts per channel and instance, and throughput and errors over time',
        querystring: StatsQuery,
        response: { 200: Type.Object({}, { additionalProperties: true }), ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const { bucketMs, buckets } = req.query as { bucketMs: number; buckets: number };
      const now = ctx.clock.wallTime().getTime();
      const start = Math.floor(now / bucketMs) * bucketMs - (buckets - 1) * bucketMs;
      type Bucket = {
        start: string;
        completed: number;
        failed: number;
        byChannel: Record<string, { completed: number; failed: number }>;
      };
      const series = Array.from({ length: buckets }, (_, i): Bucket => ({
        start: new Date(start + i * bucketMs).toISOString(),
        completed: 0,
        failed: 0,
        byChannel: {},
      }));
      const channels: Record<string, Record<string, number>> = {};
      const instances: Record<string, Record<string, number>> = {};
      for (const j of ctx.state().jobs.all.values()) {
        const c = (channels[j.channel] ??= {});
        c[j.state] = (c[j.state] ?? 0) + 1;
        if (j.instanceId !== undefined) {
          const i = (instances[j.instanceId] ??= {});
          i[j.state] = (i[j.state] ?? 0) + 1;
        }
        if (j.state !== 'completed' && j.state !== 'failed') continue;
        const t = Date.parse(j.updated.ts);
        const b = Math.floor((t - start) / bucketMs);
        const slot = series[b];
        if (slot === undefined) continue;
        slot[j.state]++;
        const bc = (slot.byChannel[j.channel] ??= { completed: 0, failed: 0 });
        bc[j.state]++;
      }
      return { bucketMs, channels, instances, series };
    },
  );
}
