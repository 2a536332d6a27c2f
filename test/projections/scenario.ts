// Test helper: builds log records with a filled envelope (seq, ts, by, inc, term, prev, hash) and
// folds them as it goes, so tests read `given(...)` then assert on the state.
import type { Condition, ConditionFailure } from '../../src/events/conditions.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { applyRecord } from '../../src/projections/apply-record.js';
import { checkConditions } from '../../src/projections/check-conditions.js';
import { initialState } from '../../src/projections/initial-state.js';
import type { ProjectionState } from '../../src/projections/state.js';

/** The envelope's writer: an instance incarnation, or a CLI user (inc 0). */
export interface Writer {
  readonly by: string;
  readonly inc: number;
}

export const cli: Writer = { by: 'cli:ann', inc: 0 };

const epoch = Date.UTC(2026, 10, 25, 13, 0, 0);

/** The record at `seq` for `event`, as the log would store it (fake but chained hash). */
export function recordOf(seq: number, writer: Writer, event: DarkroomEvent, term: number): LogRecord {
  return {
    seq,
    ts: new Date(epoch + seq * 1000).toISOString(),
    by: writer.by,
    inc: writer.inc,
    term,
    prev: seq === 1 ? '' : `h${seq - 1}`,
    hash: `h${seq}`,
    ...event,
  };
}

export class Scenario {
  state: ProjectionState = initialState();
  readonly records: LogRecord[] = [];

  get seq(): number {
    return this.records.length;
  }

  /** Appends `event` by `writer` (envelope term: the current term unless given) and folds it. */
  write(writer: Writer, event: DarkroomEvent, term = this.state.cluster.term): LogRecord {
    const record = recordOf(this.seq + 1, writer, event, term);
    this.records.push(record);
    this.state = applyRecord(this.state, record);
    return record;
  }

  /** Appends a batch only if `conditions` hold at the tip, as the log does; returns the failure otherwise. */
  append(
    writer: Writer,
    events: readonly DarkroomEvent[],
    conditions: readonly Condition[] = [],
  ): ConditionFailure | undefined {
    const failure = checkConditions(this.state, conditions);
    if (failure !== undefined) return failure;
    for (const e of events) this.write(writer, e);
    return undefined;
  }

  /** InstanceStarted for `id`; returns the new incarnation as a writer. */
  start(id: string, slots = 2): Writer {
    const r = this.write(
      { by: id, inc: 0 },
      {
        type: 'InstanceStarted',
        data: {
          instanceId: id,
          host: 'localhost',
          pid: 100 + this.seq,
          version: '0.1.0',
          slots,
          confHash: 'c0',
          formatLevel: 1,
        },
      },
    );
    return { by: id, inc: r.seq };
  }

  /** CoordinatorElected for the next term, written by the elected incarnation itself. */
  elect(w: Writer): LogRecord {
    return this.write(w, {
      type: 'CoordinatorElected',
      data: { instanceId: w.by, inc: w.inc, term: this.state.cluster.term + 1 },
    });
  }

  channel(name: string, settings: Record<string, unknown> = {}): LogRecord {
    return this.write(cli, { type: 'ChannelCreated', data: { channel: name, settings } });
  }

  submit(jobId: string, channel: string, by: Writer = cli): LogRecord {
    return this.write(by, {
      type: 'JobSubmitted',
      data: {
        jobId,
        channel,
        source: `/hot/${channel}/in/${jobId}.jpg`,
        relPath: `${jobId}.jpg`,
        workDir: `work/${jobId}`,
        file: `${jobId}.jpg`,
        bytes: 1000,
        submittedBy: by.by,
      },
    });
  }

  /** JobAssigned by `coordinator` for the job's next attempt. */
  assign(coordinator: Writer, jobId: string, to: Writer, term = this.state.cluster.term): LogRecord {
    const attempt = (this.state.jobs.all.get(jobId)?.attempt ?? 0) + 1;
    return this.write(
      coordinator,
      { type: 'JobAssigned', data: { jobId, instanceId: to.by, inc: to.inc, attempt } },
      term,
    );
  }

  started(worker: Writer, jobId: string, attempt = this.attempt(jobId)): LogRecord {
    return this.write(worker, { type: 'JobStarted', data: { jobId, instanceId: worker.by, attempt } });
  }

  completed(worker: Writer, jobId: string, attempt = this.attempt(jobId)): LogRecord {
    return this.write(worker, {
      type: 'JobCompleted',
      data: { jobId, attempt, outcome: 'processed', outputs: [`out/${jobId}.jpg`], timingsMs: { total: 12 } },
    });
  }

  failed(worker: Writer, jobId: string, attempt = this.attempt(jobId)): LogRecord {
    return this.write(worker, {
      type: 'JobFailed',
      data: { jobId, attempt, code: 'E_IMAGE_CORRUPT', message: 'broken', badPath: `bad/${jobId}.jpg` },
    });
  }

  released(worker: Writer, jobId: string, attempt = this.attempt(jobId)): LogRecord {
    return this.write(worker, { type: 'JobReleased', data: { jobId, attempt, reason: 'draining' } });
  }

  attempt(jobId: string): number {
    return this.state.jobs.all.get(jobId)?.attempt ?? 0;
  }

  ignored(type: DarkroomEvent['type']): number {
    return this.state.meta.ignored.get(type) ?? 0;
  }
}

/** given/then: a scenario built by `steps`. */
export function given(steps: (s: Scenario) => void): Scenario {
  const s = new Scenario();
  steps(s);
  return s;
}

/** A cluster of instances a (coordinator, term 1) and b, and channel "press". */
export function pressCluster(s: Scenario, slots = 2): { a: Writer; b: Writer } {
  const a = s.start('a', slots);
  const b = s.start('b', slots);
  s.elect(a);
  s.channel('press');
  return { a, b };
}
