// A digest of a whole projection state: SHA-256 of its snapshot encoding with keys in stable order.
// Two instances whose digests at the same seq are equal hold the same projections (invariant 2);
// an instance logs its digest when it stops, and tests compare it with a fresh replay.
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { encodeSnapshot } from './snapshot-codec.js';
import type { ProjectionState } from './state.js';

export function stateDigest(state: ProjectionState): string {
  return createHash('sha256')
    .update(stableStringify(encodeSnapshot(state)))
    .digest('hex');
}
