// applyRecord: folds one log record into the projections, applying the replay rules the same way
// for every reader (ignored records are counted by type), and advancing provenance.
import type { LogRecord } from '../events/log-record.js';
import { reduceCluster } from './cluster.js';
import { reduceConfig } from './config.js';
import { reduceJobs } from './jobs.js';
import { ignoreReason } from './replay-rules.js';
import type { ProjectionState } from './state.js';
import { revise } from './views.js';

/**
 * Pure: the state after `record`. A record at or below `meta.seq` is a no-op (so applying the
 * same batch twice changes nothing); a record the replay rules refuse only advances `meta` and
 * counts it in `meta.ignored`; otherwise the three reducers fold it. Parts that did not change
 * keep their identity.
 */
export function applyRecord(state: ProjectionState, record: LogRecord): ProjectionState {
  if (record.seq <= state.meta.seq) return state;
  const { meta } = state;
  if (ignoreReason(state, record) !== undefined) {
    const ignored = meta.ignored.update(record.type, 0, (n) => n + 1);
    return revise(state, { meta: revise(meta, { seq: record.seq, hash: record.hash, ignored }) });
  }
  return revise(state, {
    config: reduceConfig(state.config, record),
    jobs: reduceJobs(state.jobs, record, state.cluster),
    cluster: reduceCluster(state.cluster, record),
    meta: revise(meta, { seq: record.seq, hash: record.hash }),
  });
}

/** Pure: `records` folded in order with applyRecord. */
export function applyRecords(state: ProjectionState, records: Iterable<LogRecord>): ProjectionState {
  let next = state;
  for (const record of records) next = applyRecord(next, record);
  return next;
}
