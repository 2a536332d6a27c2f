// decidePurge, given a listing and rules at a time, then the files to delete, oldest first.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decidePurge, purgeRulesSchema, type ListedFile } from '../../src/hotfolders/decide-purge.js';

const day = 86_400_000;
const now = 100 * day;
const file = (relPath: string, ageDays: number, bytes = 1_000_000): ListedFile => ({
  relPath,
  bytes,
  mtimeMs: now - ageDays * day,
});
const listing = [file('c.jpg', 1), file('a.jpg', 10), file('b.jpg', 5), file('d.jpg', 0.5, 5_000_000)];
const names = (files: ListedFile[]) => files.map((f) => f.relPath);

describe('decidePurge', () => {
  it('deletes files older than the limit, oldest first', () => {
    expect(names(decidePurge(listing, { olderThanMs: 2 * day }, now))).toEqual(['a.jpg', 'b.jpg']);
  });
  it('keeps the newest maxFiles files', () => {
    expect(names(decidePurge(listing, { maxFiles: 1 }, now))).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect(decidePurge(listing, { maxFiles: 10 }, now)).toEqual([]);
  });
  it('deletes the oldest until at most maxBytes remain', () => {
    expect(names(decidePurge(listing, { maxBytes: 6_500_000 }, now))).toEqual(['a.jpg', 'b.jpg']);
  });
  it('combines rules: whatever any rule asks for', () => {
    expect(names(decidePurge(listing, { olderThanMs: 7 * day, maxFiles: 2 }, now))).toEqual([
      'a.jpg',
      'b.jpg',
    ]);
  });
  it('breaks mtime ties by path, so the decision is stable', () => {
    const tie = [file('z.jpg', 3), file('y.jpg', 3)];
    expect(names(decidePurge(tie, { maxFiles: 1 }, now))).toEqual(['y.jpg']);
  });
  it('never deletes a file newer than any file it keeps, and honours every limit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ relPath: fc.string(), bytes: fc.nat(1e7), mtimeMs: fc.nat(now) })),
        fc.option(fc.integer({ min: 1, max: now }), { nil: undefined }),
        fc.option(fc.nat(20), { nil: undefined }),
        fc.option(fc.nat(5e7), { nil: undefined }),
        (files, olderThanMs, maxFiles, maxBytes) => {
          const doomed = new Set(decidePurge(files, { olderThanMs, maxFiles, maxBytes }, now));
          const kept = files.filter((f) => !doomed.has(f));
          const newestDoomed = Math.max(...[...doomed].map((f) => f.mtimeMs));
          for (const k of kept) {
            expect(k.mtimeMs).toBeGreaterThanOrEqual(newestDoomed);
            if (olderThanMs !== undefined) expect(now - k.mtimeMs).toBeLessThanOrEqual(olderThanMs);
          }
          if (maxFiles !== undefined) expect(kept.length).toBeLessThanOrEqual(maxFiles);
          if (maxBytes !== undefined)
            expect(kept.reduce((s, f) => s + f.bytes, 0)).toBeLessThanOrEqual(maxBytes);
        },
      ),
    );
  });
});

describe('purgeRulesSchema', () => {
  it('needs at least one rule and refuses unknown keys', () => {
    expect(purgeRulesSchema.safeParse({}).success).toBe(false);
    expect(purgeRulesSchema.safeParse({ maxMB: 10 }).success).toBe(false);
    expect(purgeRulesSchema.parse({ maxFiles: 0 })).toEqual({ maxFiles: 0 });
  });
});
