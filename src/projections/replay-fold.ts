// The fold of a long replay (at open, many segments): one fold that owns its state from the first
// record to the last, on native collections, converted into the immutable projection state once
// at the end. Between the chunks nobody sees the state, so nothing has to be immutable in the
// meantime: no immutable.js writes or id hashing per record (the cost of applyBatch's settle per
// batch), no frozen copies of the parts per chunk. The reducers and replay rules are the ordinary
// ones (applyRecord): the collections below offer exactly the methods they use.
//
// Why the result equals folding record by record (compared through toSnapshot): the native Map
// and Set keep the same entries; `open` keeps its order (a native Map, like an OrderedSet, keeps
// a present key where it was first added and puts a key deleted and added again at the back);
// `finishOrder` is the same queue; the archived ids all become the sorted `archivedBase` (the
// snapshot holds them so too). Only the iteration order of the keyed maps may differ, which no
// reader relies on (a state decoded from a snapshot has its own).
import { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import type { LogRecord } from '../events/log-record.js';
import type { ReplayFold } from '../events/projector.js';
import { applyRecord } from './apply-record.js';
import { archivedIds } from './jobs.js';
import type { FinishEntry, InstanceView, JobView, JobsState, ProjectionState } from './state.js';
import { withDrafts } from './views.js';

/** get/has/set/delete of an immutable.js Map on a native one (set and delete return the map). */
class NativeMap<K, V> {
  readonly map: Map<K, V>;

  constructor(entries: Iterable<readonly [K, V]>) {
    this.map = new Map(entries);
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    this.map.set(key, value);
    return this;
  }

  delete(key: K): this {
    this.map.delete(key);
    return this;
  }
}

/** has/add/delete and iteration of an immutable.js OrderedSet, in its order, on a native Map. */
class NativeOrderedSet<K> {
  readonly keys = new Map<K, true>();

  constructor(keys: Iterable<K>) {
    for (const key of keys) this.keys.set(key, true);
  }

  has(key: K): boolean {
    return this.keys.has(key);
  }

  add(key: K): this {
    if (!this.keys.has(key)) this.keys.set(key, true);
    return this;
  }

  delete(key: K): this {
    this.keys.delete(key);
    return this;
  }

  [Symbol.iterator](): IterableIterator<K> {
    return this.keys.keys();
  }
}

/** first/shift/push/size of an immutable.js List used as a queue, on an array and a head index. */
class NativeQueue<T> {
  #items: T[];
  #head = 0;

  constructor(items: Iterable<T>) {
    this.#items = [...items];
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  first(): T | undefined {
    return this.#items[this.#head];
  }

  push(value: T): this {
    this.#items.push(value);
    return this;
  }

  shift(): this {
    if (this.#head < this.#items.length) this.#head++;
    // Drop the shifted entries now and then, so the array does not hold a whole replay's worth.
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return this;
  }

  items(): T[] {
    return this.#items.slice(this.#head);
  }
}

/** has/add of an immutable.js Set on a native one. */
class NativeSet<K> {
  readonly set: Set<K>;

  constructor(keys: Iterable<K>) {
    this.set = new Set(keys);
  }

  has(key: K): boolean {
    return this.set.has(key);
  }

  add(key: K): this {
    this.set.add(key);
    return this;
  }
}

/** The collections a replay fold keeps native (the hot ones); the rest stay immutable.js, mutable. */
interface Natives {
  readonly all: NativeMap<string, JobView>;
  readonly open: NativeOrderedSet<string>;
  readonly lastAssigned: NativeMap<string, number>;
  readonly finishOrder: NativeQueue<FinishEntry>;
  readonly archived: NativeSet<string>;
  readonly instances: NativeMap<string, InstanceView>;
}

/**
 * Pure from outside: a fold of `state` through many chunks of records (`apply`), whose result
 * `finish()` returns, equal to applyRecords(state, all records) through toSnapshot. `state` is
 * never changed. Nothing of the fold is visible before finish(), which may be called once; a
 * fold that applied nothing returns `state` itself.
 */
export function replayFold(state: ProjectionState): ReplayFold<ProjectionState> {
  const { config, jobs, cluster, meta } = state;
  const natives: Natives = {
    all: new NativeMap(jobs.all),
    open: new NativeOrderedSet(jobs.open),
    lastAssigned: new NativeMap(jobs.lastAssigned),
    finishOrder: new NativeQueue(jobs.finishOrder),
    archived: new NativeSet(jobs.archived),
    instances: new NativeMap(cluster.instances),
  };
  // The draft state and parts: changed in place by revise while a chunk folds (views.ts).
  let draft: ProjectionState = {
    config: {
      ...config,
      channels: config.channels.asMutable(),
      users: config.users.asMutable(),
      settings: config.settings.asMutable(),
    },
    jobs: {
      ...jobs,
      all: natives.all as unknown as IMap<string, JobView>,
      open: natives.open as unknown as OrderedSet<string>,
      lastAssigned: natives.lastAssigned as unknown as IMap<string, number>,
      finishOrder: natives.finishOrder as unknown as List<FinishEntry>,
      archived: natives.archived as unknown as ISet<string>,
    },
    cluster: { ...cluster, instances: natives.instances as unknown as IMap<string, InstanceView> },
    meta: { ...meta, ignored: meta.ignored.asMutable() },
  };
  let finished = false;
  return {
    apply(records: readonly LogRecord[]): void {
      if (finished) throw new Error('replayFold: apply after finish');
      const owned = new Set<object>([draft, draft.config, draft.jobs, draft.cluster, draft.meta]);
      draft = withDrafts(owned, () => {
        let next = draft;
        for (const record of records) next = applyRecord(next, record);
        return next;
      });
      // The reducers revise drafts in place and use the return values of the collections' writes:
      // the parts and the collections are still the ones made above.
      if (
        draft.jobs.all !== (natives.all as unknown) ||
        draft.jobs.open !== (natives.open as unknown) ||
        draft.cluster.instances !== (natives.instances as unknown)
      ) {
        throw new Error('replayFold: a reducer replaced a collection of the fold');
      }
    },
    finish(): ProjectionState {
      if (finished) throw new Error('replayFold: finish called twice');
      finished = true;
      if (draft.meta.seq === meta.seq) return state;
      return settleFold(draft, natives);
    },
  };
}

/** The immutable projection state of a fold's drafts. */
function settleFold(draft: ProjectionState, n: Natives): ProjectionState {
  const d = draft.jobs;
  // Every archived id in the sorted base: what a snapshot decodes to (archivedIds merges both).
  const archivedBase = archivedIds({ ...d, archived: n.archived.set as unknown as ISet<string> });
  const jobs: JobsState = Object.freeze({
    ...d,
    all: IMap(n.all.map),
    open: OrderedSet(n.open.keys.keys()),
    lastAssigned: IMap(n.lastAssigned.map),
    finishOrder: List(n.finishOrder.items()),
    archivedBase: Object.freeze(archivedBase),
    archived: ISet<string>(),
  });
  const c = draft.config;
  return Object.freeze({
    config: Object.freeze({
      ...c,
      channels: c.channels.asImmutable(),
      users: c.users.asImmutable(),
      settings: c.settings.asImmutable(),
    }),
    jobs,
    cluster: Object.freeze({ ...draft.cluster, instances: IMap(n.instances.map) }),
    meta: Object.freeze({ ...draft.meta, ignored: draft.meta.ignored.asImmutable() }),
  });
}
