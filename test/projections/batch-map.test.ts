// BatchMap: any sequence of get/has/set/delete through it, flushed, leaves exactly the map (same
// entries, same iteration order) that the same writes made directly on the immutable.js map give,
// and every read in between answers as the direct map would.
import fc from 'fast-check';
import { Map as IMap } from 'immutable';
import { describe, expect, it } from 'vitest';
import { BatchMap } from '../../src/projections/batch-map.js';

type Op =
  | { kind: 'set'; key: string; value: number }
  | { kind: 'delete'; key: string }
  | { kind: 'read'; key: string };

// Few keys (small maps use immutable.js's insertion-ordered array nodes) and many (hashed nodes).
const keyArb = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  fc.integer({ min: 0, max: 40 }).map((n) => `job-${n}`),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
  fc.record({ kind: fc.constant('read' as const), key: keyArb }),
);
const startArb = fc.array(fc.tuple(keyArb, fc.integer()), { maxLength: 30 });

describe('BatchMap', () => {
  it('flushes to the same entries in the same order as direct writes, and reads like the direct map', () => {
    fc.assert(
      fc.property(startArb, fc.array(opArb, { maxLength: 80 }), (start, ops) => {
        const base = IMap<string, number>(start);
        const direct = base.asMutable();
        const batch = new BatchMap(base.asMutable());
        for (const op of ops) {
          if (op.kind === 'set') {
            direct.set(op.key, op.value);
            expect(batch.set(op.key, op.value)).toBe(batch);
          } else if (op.kind === 'delete') {
            direct.delete(op.key);
            expect(batch.delete(op.key)).toBe(batch);
          } else {
            expect(batch.get(op.key)).toBe(direct.get(op.key));
            expect(batch.has(op.key)).toBe(direct.has(op.key));
          }
        }
        const flushed = batch.flush().asImmutable();
        expect([...flushed.entries()]).toEqual([...direct.asImmutable().entries()]);
        // The map it started from is untouched.
        expect([...base.entries()]).toEqual([...IMap<string, number>(start).entries()]);
      }),
      { numRuns: 400 },
    );
  });
});
