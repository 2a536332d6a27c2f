// Setting paths: the diff of two settings objects, and patch merging.
import { describe, expect, it } from 'vitest';
import { changedPaths, getPath, mergePatch, setPath } from '../../src/channels/settings-paths.js';

describe('changedPaths', () => {
  it('lists the dotted paths that differ, arrays as one value, sorted', () => {
    const a = { type: 'process', priority: 50, pipeline: { output: { q: 90, f: 'jpeg' } }, rules: [1, 2] };
    const b = {
      type: 'process',
      priority: 60,
      pipeline: { output: { q: 80, f: 'jpeg' } },
      rules: [1, 3],
      group: 'g',
    };
    expect(changedPaths(a, b)).toEqual(['group', 'pipeline.output.q', 'priority', 'rules']);
    expect(changedPaths(a, structuredClone(a))).toEqual([]);
  });
});

describe('mergePatch, setPath, getPath', () => {
  it('merges objects key by key, replaces arrays, and null removes a key', () => {
    const base = { a: { b: 1, c: 2 }, list: [1, 2], group: 'x' };
    expect(mergePatch(base, { a: { c: 3 }, list: [9], group: null })).toEqual({
      a: { b: 1, c: 3 },
      list: [9],
    });
    expect(base).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], group: 'x' });
  });

  it('sets and reads a dotted path, creating objects on the way', () => {
    const s = setPath({ a: 1 }, 'pipeline.output.q', 80);
    expect(s).toEqual({ a: 1, pipeline: { output: { q: 80 } } });
    expect(getPath(s, 'pipeline.output.q')).toBe(80);
    expect(getPath(s, 'a.b')).toBeUndefined();
  });
});
