// Building the frozen plain objects the projections hold: stamps from records, and copies of a
// view with some fields changed and others removed (never mutating the original).
import type { LogRecord } from '../events/log-record.js';
import type { Stamp } from './state.js';

/** Where and by whom `record` was written. */
export function stampOf(record: Pick<LogRecord, 'seq' | 'ts' | 'by'>): Stamp {
  return Object.freeze({ seq: record.seq, ts: record.ts, by: record.by });
}

/**
 * Objects applyBatch made for one batch and no one else can see (its draft of the state and of
 * each part): revise changes them in place instead of copying them once per record. Set only
 * for the duration of one applyBatch call (withDrafts); undefined otherwise.
 */
let drafts: ReadonlySet<object> | undefined;

/** Runs `fold` with `objects` as drafts (see revise); they are plain, unfrozen, unshared copies. */
export function withDrafts<T>(objects: ReadonlySet<object>, fold: () => T): T {
  const outer = drafts;
  drafts = objects;
  try {
    return fold();
  } finally {
    drafts = outer;
  }
}

/**
 * A frozen copy of `view` with `patch` applied and the keys in `drop` removed. A draft (inside
 * applyBatch) is changed in place and returned: same keys in the same order as the copy.
 */
export function revise<T extends object>(view: T, patch: Partial<T>, drop: readonly (keyof T)[] = []): T {
  if (drafts !== undefined && drafts.has(view)) {
    Object.assign(view, patch);
    for (const key of drop) Reflect.deleteProperty(view, key);
    return view;
  }
  const next: Partial<T> = { ...view, ...patch };
  for (const key of drop) Reflect.deleteProperty(next, key);
  return Object.freeze(next) as T;
}

/** A frozen copy of `obj` without keys whose value is undefined (so views carry no `undefined`). */
export function defined<T extends object>(obj: T): T {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return Object.freeze(out) as T;
}
