// The projection state of an empty log.
import { Map as IMap } from 'immutable';
import type { EventType } from '../events/event-types.js';
import { initialCluster } from './cluster.js';
import { initialConfig } from './config.js';
import { initialJobs } from './jobs.js';
import type { ProjectionState } from './state.js';

export function initialState(): ProjectionState {
  return Object.freeze({
    config: initialConfig(),
    jobs: initialJobs(),
    cluster: initialCluster(),
    meta: Object.freeze({ seq: 0, hash: '', ignored: IMap<EventType, number>() }),
  });
}
