// The log over HTTP: pages of records from a seq, and the live stream (Server-Sent Events) of new
// records with the projection's view of the job or channel they concern, resumable on any
// instance with Last-Event-ID (the seq).
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { LogRecord } from '../events/log-record.js';
import { readRecords } from '../events/log-reader.js';
import type { ProjectionState } from '../projections/state.js';
import type { HttpContext } from './http-context.js';
import { jobSummary } from './job-views.js';
import { errors, EventPage, EventsQuery, StreamQuery, type StreamQueryT } from './schemas.js';

export interface LiveStreams {
  count(): number;
  /** Sends `event: bye` to every stream and ends it. */
  closeAll(reason: string): void;
}

/** Records as the API shows them: the envelope without prev/hash. */
export function recordOut(r: LogRecord): Record<string, unknown> {
  return { seq: r.seq, ts: r.ts, by: r.by, inc: r.inc, term: r.term, type: r.type, data: r.data };
}

function jobIdOf(r: LogRecord): string | undefined {
  const d = r.data as { jobId?: unknown };
  return typeof d.jobId === 'string' ? d.jobId : undefined;
}
function channelOf(r: LogRecord): string | undefined {
  const d = r.data as { channel?: unknown };
  return typeof d.channel === 'string' ? d.channel : undefined;
}

interface Filter {
  readonly types?: ReadonlySet<string>;
  readonly job?: string;
  readonly channel?: string;
}

function matches(f: Filter, r: LogRecord, state: ProjectionState): boolean {
  if (f.types !== undefined && !f.types.has(r.type)) return false;
  const jobId = jobIdOf(r);
  if (f.job !== undefined && jobId !== f.job) return false;
  if (f.channel !== undefined) {
    const ch = channelOf(r) ?? (jobId === undefined ? undefined : state.jobs.all.get(jobId)?.channel);
    if (ch !== f.channel) return false;
  }
  return true;
}

/** The SSE message of `r`, with the view after it of the job or channel it concerns. */
function message(r: LogRecord, state: ProjectionState): string {
  const out = recordOut(r);
  const jobId = jobIdOf(r);
  const job = jobId === undefined ? undefined : state.jobs.all.get(jobId);
  if (job !== undefined) out['job'] = jobSummary(job);
  const chName = jobId === undefined ? channelOf(r) : undefined;
  const ch = chName === undefined ? undefined : state.config.channels.get(chName);
  if (ch !== undefined) out['channel'] = ch;
  return `id: ${r.seq}\nevent: record\ndata: ${JSON.stringify(out)}\n\n`;
}

class Stream {
  /** Seq of the last record sent (or skipped by the filter). */
  last: number;
  /** Live records arriving while the backlog is read. */
  pending: LogRecord[] | undefined = [];
  closed = false;
  constructor(
    readonly res: ServerResponse,
    readonly filter: Filter,
    from: number,
  ) {
    this.last = from - 1;
  }
  send(records: readonly LogRecord[], state: ProjectionState): void {
    if (this.closed) return;
    let text = '';
    for (const r of records) {
      if (r.seq <= this.last) continue;
      this.last = r.seq;
      if (matches(this.filter, r, state)) text += message(r, state);
    }
    if (text !== '') this.write(text);
  }
  write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    // A client that reads nothing for megabytes is dropped; it can resume from its last id.
    if (this.res.writableLength > 8 * 1024 * 1024) this.end();
  }
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }
}

function parseLastEventId(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

export function registerEventRoutes(app: FastifyInstance, ctx: HttpContext): LiveStreams {
  const streams = new Set<Stream>();
  const undoApplied = ctx.log.onApplied((records, state) => {
    for (const s of streams) {
      if (s.pending !== undefined) s.pending.push(...records);
      else s.send(records, state);
    }
  });
  const pingMs = ctx.deps.pingMs ?? 15_000;
  const ping = setInterval(() => {
    for (const s of streams) s.write(': ping\n\n');
  }, pingMs);
  ping.unref();
  app.addHook('onClose', async () => {
    clearInterval(ping);
    undoApplied();
  });

  app.get(
    '/api/events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'Log records from a seq, paged',
        querystring: EventsQuery,
        response: { 200: EventPage, ...errors(400, 401, 403) },
      },
    },
    async (req) => {
      const q = req.query as { from: number; limit: number; type?: string };
      const types = q.type === undefined ? undefined : new Set(q.type.split(',').map((t) => t.trim()));
      const events: Record<string, unknown>[] = [];
      const tip = ctx.log.seq;
      let next = q.from;
      if (q.from <= tip) {
        for await (const e of readRecords(ctx.deps.conf.sharedDir, { from: q.from, to: tip })) {
          next = e.record.seq + 1;
          if (types === undefined || types.has(e.record.type)) events.push(recordOut(e.record));
          if (events.length >= q.limit) break;
          // Scanning for a rare type stops after 10 pages' worth; `next` says where to go on.
          if (next - q.from >= q.limit * 10) break;
        }
      }
      return { events, next };
    },
  );

  app.get(
    '/api/events/stream',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'Live stream of log records (Server-Sent Events), resumable with Last-Event-ID',
        querystring: StreamQuery,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 20 })) }),
        response: {
          200: { description: 'text/event-stream', type: 'string' },
          ...errors(400, 401, 403, 503),
        },
      },
    },
    async (req, reply) => {
      const q = req.query as StreamQueryT;
      const lastId = parseLastEventId(req.headers['last-event-id']);
      if (req.headers['last-event-id'] !== undefined && lastId === undefined) {
        throw new DarkroomError('E_REQUEST_INVALID', {
          where: 'headers/last-event-id',
          detail: 'must be a seq (digits)',
        });
      }
      const tip = ctx.log.seq;
      const from = q.from ?? (lastId !== undefined ? lastId + 1 : tip + 1);
      const filter: Filter = {
        ...(q.types !== undefined ? { types: new Set(q.types.split(',').map((t) => t.trim())) } : {}),
        ...(q.job !== undefined ? { job: q.job } : {}),
        ...(q.channel !== undefined ? { channel: q.channel } : {}),
      };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 1000\n: darkroom ${ctx.deps.instanceId} from seq ${from}\n\n`);
      const stream = new Stream(res, filter, from);
      streams.add(stream);
      const drop = (): void => {
        streams.delete(stream);
        stream.end();
      };
      req.raw.on('close', drop);
      res.on('error', drop);
      try {
        // The backlog from the log; records applied meanwhile wait in `pending`.
        if (from <= tip) {
          let batch: LogRecord[] = [];
          for await (const e of readRecords(ctx.deps.conf.sharedDir, { from, to: tip })) {
            if (stream.closed) break;
            batch.push(e.record);
            if (batch.length >= 500) {
              stream.send(batch, ctx.state());
              batch = [];
            }
          }
          stream.send(batch, ctx.state());
        }
      } catch (err) {
        req.log.warn({ err: (err as Error).message, from }, 'live stream backlog failed');
        drop();
      }
      const pending = stream.pending ?? [];
      stream.pending = undefined;
      stream.send(pending, ctx.state());
    },
  );

  return {
    count: () => streams.size,
    closeAll(reason: string) {
      for (const s of streams) {
        s.write(`event: bye\ndata: ${JSON.stringify({ reason, instanceId: ctx.deps.instanceId })}\n\n`);
        s.end();
      }
      streams.clear();
    },
  };
}
