// bench/projections workload: a deterministic stream of log records with a realistic mix — two
// instances and a coordinator, eight channels, job flows (submit, assign, start, complete or
// fail and retry), operator notes and channel changes — produced in chunks like the log's files.
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';

interface Writer {
  readonly by: string;
  readonly inc: number;
}

const epoch = Date.UTC(2026, 10, 25, 13, 0, 0);
const cli: Writer = { by: 'cli:ann', inc: 0 };
const coordinator: Writer = { by: 'a', inc: 1 };
const workers: readonly Writer[] = [coordinator, { by: 'b', inc: 2 }];
const channels = ['press', 'web', 'archive', 'sports', 'culture', 'local', 'ads', 'print'] as const;
/** Jobs in flight per wave: submitted together, then assigned, started and finished together. */
const wave = 20;

function settings(name: string, revision: number): Record<string, unknown> {
  return {
    input: `/mnt/in/${name}`,
    output: `/mnt/out/${name}`,
    priority: 50,
    pipeline: { sharpen: 0.4 + revision / 100, denoise: 'auto', maxEdge: 3000 },
  };
}

/** Produces the records in order; `next(n)` gives the next n (setup first). */
export class Workload {
  private seq = 0;
  private prev = '';
  private jobs = 0;
  private readonly queue: [Writer, DarkroomEvent, number][] = [];
  private readonly revisions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private retried: [string, string][] = [];

  constructor() {
    for (const [i, w] of workers.entries()) {
      const data = {
        instanceId: w.by,
        host: `host-${w.by}`,
        pid: 4000 + i,
        version: '0.1.0',
        slots: 4,
        confHash: 'c0ffee',
        formatLevel: 1,
      };
      this.queue.push([{ by: w.by, inc: 0 }, { type: 'InstanceStarted', data }, 0]);
    }
    this.queue.push([
      coordinator,
      { type: 'CoordinatorElected', data: { instanceId: 'a', inc: 1, term: 1 } },
      0,
    ]);
    for (const name of channels) {
      this.revisions.set(name, 1);
      this.queue.push([
        cli,
        { type: 'ChannelCreated', data: { channel: name, settings: settings(name, 1) } },
        1,
      ]);
    }
  }

  next(n: number): LogRecord[] {
    const out: LogRecord[] = [];
    while (out.length < n) {
      if (this.queue.length === 0) this.plan();
      const [w, event, term] = this.queue.shift()!;
      out.push(this.seal(w, event, term));
    }
    return out;
  }

  private seal(w: Writer, event: DarkroomEvent, term: number): LogRecord {
    this.seq += 1;
    const hash = `${this.seq.toString(16).padStart(16, '0')}${'ab'.repeat(24)}`;
    const record = {
      seq: this.seq,
      ts: new Date(epoch + this.seq * 7).toISOString(),
      by: w.by,
      inc: w.inc,
      term,
      prev: this.prev,
      hash,
      ...event,
    } as LogRecord;
    this.prev = hash;
    return record;
  }

  /** One wave of job flows (new jobs and those retried in the last wave), with notes and channel changes. */
  private plan(): void {
    const flows: [string, string, Writer, number][] = this.retried.map(([jobId, channel]) => {
      const w = workers[(this.jobs + jobId.length) % workers.length]!;
      return [jobId, channel, w, 2];
    });
    this.retried = [];
    const push = (w: Writer, e: DarkroomEvent): void => void this.queue.push([w, e, 1]);
    for (let i = 0; i < wave; i++) {
      this.jobs += 1;
      const jobId = `j${this.jobs.toString().padStart(8, '0')}`;
      const channel = channels[this.jobs % channels.length]!;
      flows.push([jobId, channel, workers[this.jobs % workers.length]!, 1]);
      push(coordinator, {
        type: 'JobSubmitted',
        data: {
          jobId,
          channel,
          source: `/mnt/in/${channel}`,
          relPath: `2026/11/${jobId}.jpg`,
          workDir: `work/${jobId}/`,
          file: `${jobId}.jpg`,
          bytes: 2_000_000 + this.jobs,
          submittedBy: 'a',
        },
      });
    }
    for (const [jobId, , w, attempt] of flows) {
      push(coordinator, { type: 'JobAssigned', data: { jobId, instanceId: w.by, inc: w.inc, attempt } });
    }
    for (const [jobId, , w, attempt] of flows) {
      push(w, { type: 'JobStarted', data: { jobId, instanceId: w.by, attempt } });
    }
    for (const [k, [jobId, channel, w, attempt]] of flows.entries()) {
      if (attempt === 1 && (this.jobs + k) % 33 === 0) {
        push(w, { type: 'JobFailed', data: { jobId, attempt, code: 'E_IMAGE_DECODE', message: 'bad JPEG' } });
        push(cli, { type: 'JobRetried', data: { jobId, by: 'ann' } });
        this.retried.push([jobId, channel]);
        continue;
      }
      push(w, {
        type: 'JobCompleted',
        data: {
          jobId,
          attempt,
          outcome: 'processed',
          outputs: [`/mnt/out/${channel}/2026/11/${jobId}.jpg`],
          original: `/mnt/in/${channel}/done/${jobId}.jpg`,
          timingsMs: { decode: 120, analyse: 40, correct: 210, encode: 90 },
          analysis: { mean: 0.42, clipLow: 0.01, clipHigh: 0.002, cast: [0.01, -0.02] },
          corrections: { exposure: 0.2, contrast: 0.1, whiteBalance: [1.02, 1, 0.97] },
          verdict: { ok: true, deltaE: 2.4 },
        },
      });
    }
    push(cli, { type: 'OperatorNote', data: { author: 'ann', text: `wave ${this.jobs / wave} looks fine` } });
    if ((this.jobs / wave) % 4 === 0) this.channelChange();
  }

  private channelChange(): void {
    const turn = this.jobs / wave / 4;
    const name = channels[turn % channels.length]!;
    if (Math.floor(turn / channels.length) % 3 === 0) {
      const revision = this.revisions.get(name)!;
      this.revisions.set(name, revision + 1);
      const data = { channel: name, revision, settings: settings(name, revision + 1), changed: ['pipeline'] };
      this.queue.push([cli, { type: 'ChannelUpdated', data }, 1]);
    } else if (this.paused.delete(name)) {
      this.queue.push([cli, { type: 'ChannelResumed', data: { channel: name } }, 1]);
    } else {
      this.paused.add(name);
      this.queue.push([cli, { type: 'ChannelPaused', data: { channel: name, reason: 'proofing' } }, 1]);
    }
  }
}
