// What the API shows of the projection: job summaries and details, channels, and the job list
// (newest first, filtered, paged) over an index cached per projection version.
import type { ChannelView, JobView, ProjectionState } from '../projections/state.js';
import type { JobState } from '../events/event-types.js';

export interface JobSummaryOut {
  id: string;
  channel: string;
  state: JobState;
  attempt: number;
  instanceId?: string;
  relPath: string;
  bytes: number;
  submitted: JobView['submitted'];
  updated: JobView['updated'];
  error?: JobView['error'];
}

export function jobSummary(j: JobView): JobSummaryOut {
  const out: JobSummaryOut = {
    id: j.jobId,
    channel: j.channel,
    state: j.state,
    attempt: j.attempt,
    relPath: j.relPath,
    bytes: j.bytes,
    submitted: j.submitted,
    updated: j.updated,
  };
  if (j.instanceId !== undefined) out.instanceId = j.instanceId;
  if (j.error !== undefined) out.error = j.error;
  return out;
}

export function jobDetail(j: JobView): Record<string, unknown> {
  const { jobId: _id, inc: _inc, ...rest } = j;
  return { id: j.jobId, ...rest };
}

export function channelOut(c: ChannelView): ChannelView {
  return c;
}

/** Jobs sorted newest first (by submitted.seq), rebuilt only when the jobs map changed. */
const byNewest = new WeakMap<object, readonly JobView[]>();

function newestFirst(state: ProjectionState): readonly JobView[] {
  const all = state.jobs.all;
  let list = byNewest.get(all);
  if (list === undefined) {
    list = [...all.values()].sort((a, b) => b.submitted.seq - a.submitted.seq);
    byNewest.set(all, list);
  }
  return list;
}

export interface JobPage {
  jobs: JobSummaryOut[];
  total: number;
  nextBefore?: number;
}

export function listJobPage(
  state: ProjectionState,
  q: { state?: JobState; channel?: string; limit: number; before?: number },
): JobPage {
  const jobs: JobSummaryOut[] = [];
  let total = 0;
  let more = false;
  for (const j of newestFirst(state)) {
    if (q.state !== undefined && j.state !== q.state) continue;
    if (q.channel !== undefined && j.channel !== q.channel) continue;
    total++;
    if (q.before !== undefined && j.submitted.seq >= q.before) continue;
    if (jobs.length < q.limit) jobs.push(jobSummary(j));
    else more = true;
  }
  const page: JobPage = { jobs, total };
  const last = jobs.at(-1);
  if (more && last !== undefined) page.nextBefore = last.submitted.seq;
  return page;
}
