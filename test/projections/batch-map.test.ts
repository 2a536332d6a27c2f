// BatchMap, BatchOrderedSet, BatchQueue, BatchSet: any sequence of operations through them,
// flushed, leaves exactly the collection (same entries, same iteration order) that the same
// writes made directly on the immutable.js collection give, and every read in between answers as
// the direct collection would.
import fc from 'fast-check';
import { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import { describe, expect, it } from 'vitest';
import { BatchMap, BatchOrderedSet, BatchQueue, BatchSet } from '../../src/projections/batch-map.js';

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

const setOpArb = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), key: keyArb }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
  fc.record({ kind: fc.constant('read' as const), key: keyArb }),
);
const startKeysArb = fc.array(keyArb, { maxLength: 30 });

describe('BatchOrderedSet', () => {
  it('flushes to the same keys in the same order as direct writes, and reads and iterates like the direct set', () => {
    fc.assert(
      fc.property(startKeysArb, fc.array(setOpArb, { maxLength: 80 }), (start, ops) => {
        const base = OrderedSet<string>(start);
        const direct = base.asMutable();
        const batch = new BatchOrderedSet(base.asMutable());
        for (const op of ops) {
          if (op.kind === 'add') {
            expect(batch.add(op.key)).toBe(batch);
            direct.add(op.key);
          } else if (op.kind === 'delete') {
            expect(batch.delete(op.key)).toBe(batch);
            direct.delete(op.key);
          } else {
            expect(batch.has(op.key)).toBe(direct.has(op.key));
            expect([...batch]).toEqual([...direct]);
          }
        }
        expect([...batch.flush().asImmutable()]).toEqual([...direct.asImmutable()]);
        expect([...base]).toEqual([...OrderedSet<string>(start)]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('BatchSet', () => {
  it('flushes to the same keys in the same order as direct adds, and reads like the direct set', () => {
    fc.assert(
      fc.property(startKeysArb, fc.array(setOpArb, { maxLength: 80 }), (start, ops) => {
        const base = ISet<string>(start);
        const direct = base.asMutable();
        const batch = new BatchSet(base.asMutable());
        for (const op of ops) {
          if (op.kind === 'add') {
            expect(batch.add(op.key)).toBe(batch);
            direct.add(op.key);
          } else expect(batch.has(op.key)).toBe(direct.has(op.key));
        }
        expect([...batch.flush().asImmutable()]).toEqual([...direct.asImmutable()]);
        expect([...base]).toEqual([...ISet<string>(start)]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('BatchQueue', () => {
  it('flushes to the same list as direct pushes and shifts, and reads its head and size like the direct list', () => {
    const queueOpArb = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
      fc.constant({ kind: 'shift' as const }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 40 }),
        fc.array(queueOpArb, { maxLength: 80 }),
        (start, ops) => {
          const base = List<number>(start);
          let direct = base;
          const batch = new BatchQueue(base.asMutable());
          for (const op of ops) {
            if (op.kind === 'push') {
              expect(batch.push(op.value)).toBe(batch);
              direct = direct.push(op.value);
            } else {
              expect(batch.shift()).toBe(batch);
              direct = direct.shift();
            }
            expect(batch.first()).toBe(direct.first());
            expect(batch.size).toBe(direct.size);
          }
          expect([...batch.flush().asImmutable()]).toEqual([...direct]);
          expect([...base]).toEqual(start);
        },
      ),
      { numRuns: 400 },
    );
  });
});
