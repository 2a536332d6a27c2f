// darkroomProjector: the projections as the event log sees them (src/events/projector.ts):
// fold a record with the replay rules, check append conditions, provenance and snapshots.
import type { Projector } from '../events/projector.js';
import { applyBatch } from './apply-batch.js';
import { applyRecord } from './apply-record.js';
import { checkConditions } from './check-conditions.js';
import { initialState } from './initial-state.js';
import { replayFold } from './replay-fold.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { ProjectionState } from './state.js';

export const darkroomProjector: Projector<ProjectionState> = Object.freeze({
  initial: initialState,
  apply: applyRecord,
  applyBatch,
  replay: replayFold,
  check: checkConditions,
  provenance: (state: ProjectionState) => ({
    seq: state.meta.seq,
    term: state.cluster.term,
    hash: state.meta.hash,
  }),
  toSnapshot: encodeSnapshot,
  fromSnapshot: decodeSnapshot,
});

export { applyBatch } from './apply-batch.js';
export { applyRecord, applyRecords } from './apply-record.js';
export { checkConditions } from './check-conditions.js';
export { initialState } from './initial-state.js';
