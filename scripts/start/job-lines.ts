// The launcher's readable lines: folds job records of the log into one line per finished job
// (file, instance, what was corrected, time) instead of raw JSON. Pure: records in, lines out.
import type { LogRecord } from '../../src/events/log-record.js';

interface JobSeen {
  readonly file: string;
  readonly channel: string;
  readonly submittedMs: number;
  instance?: string;
}

/** Names of the corrections that were applied, with their main figure where there is one. */
export function describeCorrections(corrections: unknown): string {
  if (typeof corrections !== 'object' || corrections === null) return 'no analysis';
  const parts: string[] = [];
  for (const [name, c] of Object.entries(corrections as Record<string, unknown>)) {
    if (typeof c !== 'object' || c === null) continue;
    const step = c as Record<string, unknown>;
    if (step['applied'] !== true) continue;
    const measured = step['measured'];
    if (name === 'cast' && typeof measured === 'number') parts.push(`cast ${measured.toFixed(1)} ΔE`);
    else if (name === 'exposure' && typeof step['gain'] === 'number')
      parts.push(`exposure ×${step['gain'].toFixed(2)}`);
    else parts.push(name.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`));
  }
  return parts.length === 0 ? 'nothing to correct' : `corrected ${parts.join(', ')}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function clock(ts: string): string {
  return ts.slice(11, 19);
}

/** Follows job records and returns a line for each one that finishes a job (or sends it to review). */
export class JobLines {
  readonly #jobs = new Map<string, JobSeen>();

  /** The line this record finishes, or undefined. Feed every record in seq order. */
  next(r: LogRecord): string | undefined {
    switch (r.type) {
      case 'JobSubmitted':
        this.#jobs.set(r.data.jobId, {
          file: r.data.relPath,
          channel: r.data.channel,
          submittedMs: Date.parse(r.ts),
        });
        return undefined;
      case 'JobStarted': {
        const j = this.#jobs.get(r.data.jobId);
        if (j !== undefined) j.instance = r.data.instanceId;
        return undefined;
      }
      case 'JobCompleted':
      case 'JobFailed':
      case 'JobReviewRequested':
        return this.#finish(r);
      default:
        return undefined;
    }
  }

  #finish(r: LogRecord & { type: 'JobCompleted' | 'JobFailed' | 'JobReviewRequested' }): string {
    const j = this.#jobs.get(r.data.jobId);
    const file = j?.file ?? r.data.jobId;
    const where = `${j?.channel ?? '?'}/${file}`;
    const on = j?.instance ?? r.by;
    const took = j !== undefined ? seconds(Date.parse(r.ts) - j.submittedMs) : '?';
    let what: string;
    if (r.type === 'JobCompleted') {
      const outcome =
        r.data.outcome === 'processed' ? describeCorrections(r.data.corrections) : r.data.outcome;
      what = `done: ${outcome}`;
    } else if (r.type === 'JobFailed') {
      what = `FAILED ${r.data.code}: ${r.data.message.split('\n')[0] ?? ''}${r.data.badPath !== undefined ? ' (moved to the bad folder)' : ''}`;
    } else {
      what = 'waits for review';
    }
    if (r.type !== 'JobReviewRequested') this.#jobs.delete(r.data.jobId);
    return `${clock(r.ts)}  ${where.padEnd(28)}  ${on.padEnd(7)}  ${took.padStart(7)}  ${what}`;
  }
}
