// Building the frozen plain objects the projections hold: stamps from records, and copies of a
// view with some fields changed and others removed (never mutating the original).
import type { LogRecord } from '../events/log-record.js';
import type { Stamp } from './state.js';

/** Where and by whom `record` was written. */
export function stampOf(record: Pick<LogRecord, 'seq' | 'ts' | 'by'>): Stamp {
  return Object.freeze({ seq: record.seq, ts: record.ts, by: record.by });
}

/**
 * Objects applyBatch made for one batch and no one else can see: its draft of the state and of
 * each part, and every view copied or made in the batch (revise, view). revise changes them in
 * place instead of copying them once per record; the views are frozen when the batch ends. Set
 * only for the duration of one applyBatch call (withDrafts); undefined otherwise.
 */
interface DraftScope {
  readonly owned: Set<object>;
  /** Views made during the batch: frozen when it ends. */
  readonly made: object[];
}

let scope: DraftScope | undefined;

/**
 * Runs `fold` with `objects` (plain, unfrozen, unshared copies) as drafts (see revise). Views
 * copied or made while it runs are drafts too, and frozen before it returns (or throws). The
 * reducers read what they need of a view before they revise it: a draft changes in place.
 */
export function withDrafts<T>(objects: ReadonlySet<object>, fold: () => T): T {
  const outer = scope;
  const inner: DraftScope = { owned: new Set(objects), made: [] };
  scope = inner;
  try {
    return fold();
  } finally {
    scope = outer;
    for (const view of inner.made) Object.freeze(view);
  }
}

/**
 * A frozen copy of `view` with `patch` applied and the keys in `drop` removed. A draft (inside
 * applyBatch) is changed in place and returned: same keys in the same order as the copy. Inside
 * applyBatch the copy is a draft itself (frozen when the batch ends).
 */
export function revise<T extends object>(view: T, patch: Partial<T>, drop: readonly (keyof T)[] = []): T {
  if (scope !== undefined && scope.owned.has(view)) {
    Object.assign(view, patch);
    for (const key of drop) Reflect.deleteProperty(view, key);
    return view;
  }
  const next: Partial<T> = { ...view, ...patch };
  for (const key of drop) Reflect.deleteProperty(next, key);
  if (scope === undefined) return Object.freeze(next) as T;
  scope.owned.add(next);
  scope.made.push(next);
  return next as T;
}

/** A frozen copy of `obj` without keys whose value is undefined (so views carry no `undefined`). */
export function defined<T extends object>(obj: T): T {
  return Object.freeze(withoutUndefined(obj));
}

/**
 * A new view: as `defined`, but inside applyBatch a draft (revised in place by the batch's later
 * records, frozen when it ends) rather than a frozen object copied by the next change.
 */
export function view<T extends object>(obj: T): T {
  const out = withoutUndefined(obj);
  if (scope === undefined) return Object.freeze(out);
  scope.owned.add(out);
  scope.made.push(out);
  return out;
}

function withoutUndefined<T extends object>(obj: T): T {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return out as T;
}
