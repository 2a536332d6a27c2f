// applyBatch: folds a batch of log records like applyRecord one by one, but with the state's
// immutable.js collections made mutable (asMutable) for the duration of the batch, so a replay
// does not copy a path of map nodes per record, and the state and its four parts as drafts that
// revise changes in place (views.ts), so it does not copy them per record either — nor the views
// the batch makes or copies (a job submitted, assigned, started and completed in one batch is one
// object, not four); the jobs collections are native ones in front of immutable.js (batch-map.ts).
// The result is made immutable (frozen parts and views, immutable collections) again at the end.
import type { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import type { LogRecord } from '../events/log-record.js';
import { applyRecord } from './apply-record.js';
import { BatchMap, BatchOrderedSet, BatchQueue, BatchSet } from './batch-map.js';
import type { FinishEntry, JobView, ProjectionState } from './state.js';
import { revise, withDrafts } from './views.js';

/** What settling needs of a collection (Map, OrderedSet). */
interface Thawable {
  wasAltered(): boolean;
  asImmutable(): this;
}

/**
 * Pure: the same state as folding `records` with applyRecord one by one (compared through
 * toSnapshot), but faster for large batches. `state` is never changed: the collections are
 * copied on their first write in the batch. A collection, and a part (config, jobs, cluster,
 * meta), that the batch did not change keeps its identity; a batch that changes nothing returns
 * `state` itself. Views written in the batch are new frozen objects, as with applyRecord.
 */
export function applyBatch(state: ProjectionState, records: readonly LogRecord[]): ProjectionState {
  const thawed = thaw(state);
  // The draft starts as copies of the thawed parts; `thawed` keeps the thawed collections as they
  // were before the fold, which settle compares with (a collection replaced or altered is kept).
  const draft: ProjectionState = {
    config: { ...thawed.config },
    jobs: { ...thawed.jobs },
    cluster: { ...thawed.cluster },
    meta: { ...thawed.meta },
  };
  const owned = new Set<object>([draft, draft.config, draft.jobs, draft.cluster, draft.meta]);
  const s = withDrafts(owned, () => {
    let next = draft;
    for (const record of records) next = applyRecord(next, record);
    return next;
  });
  // Every record that is not a no-op advances meta.seq: none did, nothing changed.
  return s.meta.seq === state.meta.seq ? state : settle(s, thawed, state);
}

function thaw(state: ProjectionState): ProjectionState {
  const { config, jobs, cluster, meta } = state;
  return Object.freeze({
    config: revise(config, {
      channels: config.channels.asMutable(),
      users: config.users.asMutable(),
      settings: config.settings.asMutable(),
    }),
    jobs: revise(jobs, {
      // get/has/set/delete only (what the reducers use); flushed into the mutable map by settle.
      // Only what the reducers use; each flushed into its mutable collection by settle.
      all: new BatchMap(jobs.all.asMutable()) as unknown as IMap<string, JobView>,
      open: new BatchOrderedSet(jobs.open.asMutable()) as unknown as OrderedSet<string>,
      lastAssigned: new BatchMap(jobs.lastAssigned.asMutable()) as unknown as IMap<string, number>,
      finishOrder: new BatchQueue(jobs.finishOrder.asMutable()) as unknown as List<FinishEntry>,
      archived: new BatchSet(jobs.archived.asMutable()) as unknown as ISet<string>,
    }),
    cluster: revise(cluster, { instances: cluster.instances.asMutable() }),
    meta: revise(meta, { ignored: meta.ignored.asMutable() }),
  });
}

/**
 * The collection to keep after the batch: the original when the batch left the thawed copy
 * unaltered, otherwise the (possibly replaced) collection made immutable again.
 */
function settled<C extends Thawable>(after: C, thawed: C, before: C): C {
  if (after === thawed && !after.wasAltered()) return before;
  return after.asImmutable();
}

/** A part with its collections settled; the original part when nothing in it changed. */
function settlePart<P extends object>(after: P, thawed: P, before: P, keys: readonly (keyof P)[]): P {
  const patch: Partial<P> = {};
  let same = true;
  for (const key of Object.keys(after) as (keyof P)[]) {
    if (!keys.includes(key)) {
      if (after[key] !== before[key]) same = false;
      continue;
    }
    const value = settled(after[key] as Thawable, thawed[key] as Thawable, before[key] as Thawable);
    patch[key] = value as P[keyof P];
    if (value !== before[key]) same = false;
  }
  if (same && Object.keys(before).length === Object.keys(after).length) return before;
  return revise(after, patch);
}

/** The jobs collections applyBatch wraps (thaw), each with a flush() into its mutable collection. */
const batchedJobs = ['all', 'open', 'lastAssigned', 'finishOrder', 'archived'] as const;

function settle(after: ProjectionState, thawed: ProjectionState, before: ProjectionState): ProjectionState {
  // The batch's jobs collections written into the thawed (mutable) ones, which then settle like
  // the rest (a wrapper the reducers replaced stays replaced).
  const flushedJobs = { ...thawed.jobs };
  const afterJobs = { ...after.jobs };
  for (const key of batchedJobs) {
    const wrapper = thawed.jobs[key] as unknown as { flush(): never };
    const flushed = wrapper.flush();
    flushedJobs[key] = flushed;
    if (after.jobs[key] === (wrapper as unknown)) afterJobs[key] = flushed;
  }
  return Object.freeze({
    config: settlePart(after.config, thawed.config, before.config, ['channels', 'users', 'settings']),
    jobs: settlePart(afterJobs, flushedJobs, before.jobs, batchedJobs),
    cluster: settlePart(after.cluster, thawed.cluster, before.cluster, ['instances']),
    meta: settlePart(after.meta, thawed.meta, before.meta, ['ignored']),
  });
}
