// The jobs collections for the duration of one applyBatch, on native collections, each flushed
// into its immutable.js collection once at the end: BatchMap (`jobs.all`, `jobs.lastAssigned`),
// BatchOrderedSet (`jobs.open`), BatchQueue (`jobs.finishOrder`), BatchSet (`jobs.archived`).
//
// BatchMap: the jobs map (`jobs.all`) for the duration of one applyBatch. Reads and writes go to a
// native Map in front of the (mutable) immutable.js map; at the end the immutable.js map receives
// only the inserts and deletes, in their order, and the last value of every key written. A job
// submitted, assigned, started and completed within one batch costs one immutable.js write
// instead of four writes and eight lookups (each hashing a 26-character id: ~1 µs).
//
// Why the result is the same map as writing record by record: an immutable.js map's entries and
// structure (hence its iteration order) follow from the sequence of inserts and deletes of keys
// alone; replacing the value of a present key never moves it. The flush replays exactly that
// sequence, and a key's last insert (or, for a key present before the batch, one update) carries
// its final value.
import type { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';

const GONE: unique symbol = Symbol('gone');

interface Structural<K, V> {
  readonly key: K;
  /** An insert (with the value written then) or a delete. */
  readonly insert: boolean;
  readonly value: V | undefined;
}

/**
 * The subset of immutable.js's Map the reducers use inside a batch: get, has, set, delete (set
 * and delete return the map itself, as a mutable immutable.js map does). Values must not be
 * undefined. Pure from outside: nothing is visible until flush(), which applyBatch calls once.
 */
export class BatchMap<K, V> {
  readonly #base: IMap<K, V>;
  /** Keys written in this batch: their current value, or GONE once deleted. */
  readonly #now = new Map<K, V | typeof GONE>();
  /** Keys looked up in the base map: what it holds (GONE: absent). The base does not change
   *  before flush(), so each key is hashed and looked up there at most once per batch. */
  readonly #seen = new Map<K, V | typeof GONE>();
  readonly #ops: Structural<K, V>[] = [];

  /** `base` must be mutable (asMutable()); flush() writes into it. */
  constructor(base: IMap<K, V>) {
    this.#base = base;
  }

  get(key: K): V | undefined {
    const v = this.#current(key);
    return v === GONE ? undefined : v;
  }

  has(key: K): boolean {
    return this.#current(key) !== GONE;
  }

  #current(key: K): V | typeof GONE {
    const v = this.#now.get(key) ?? this.#seen.get(key);
    if (v !== undefined) return v;
    const b = this.#base.get(key, GONE);
    this.#seen.set(key, b);
    return b;
  }

  set(key: K, value: V): this {
    if (!this.has(key)) this.#ops.push({ key, insert: true, value });
    this.#now.set(key, value);
    return this;
  }

  delete(key: K): this {
    if (this.has(key)) {
      this.#ops.push({ key, insert: false, value: undefined });
      this.#now.set(key, GONE);
    }
    return this;
  }

  /** Writes the batch into the base map (see the header) and returns it, still mutable. */
  flush(): IMap<K, V> {
    const base = this.#base;
    const lastInsert = new Map<K, number>();
    for (const [i, op] of this.#ops.entries()) if (op.insert) lastInsert.set(op.key, i);
    for (const [i, op] of this.#ops.entries()) {
      if (!op.insert) {
        base.delete(op.key);
        continue;
      }
      const final = this.#now.get(op.key);
      base.set(op.key, (lastInsert.get(op.key) === i && final !== GONE ? final : op.value) as V);
    }
    for (const [key, value] of this.#now) {
      if (value !== GONE && !lastInsert.has(key)) base.set(key, value);
    }
    return base;
  }
}

/**
 * The open jobs (`jobs.open`, an immutable.js OrderedSet) for the duration of one applyBatch:
 * has, add, delete and iteration on native collections; flush() writes only the net change into
 * the (mutable) base. Same iteration order as adding and deleting record by record: an
 * OrderedSet keeps a key where it was first added while present, and a key deleted and added
 * again goes to the back, exactly as a native Map does.
 */
export class BatchOrderedSet<K> {
  readonly #base: OrderedSet<K>;
  /** Keys added in this batch while absent, in the order they were (last) added. */
  readonly #added = new Map<K, true>();
  /** Keys of the base deleted in this batch (a key may also be in #added: re-added at the back). */
  readonly #removed = new Set<K>();

  /** `base` must be mutable (asMutable()); flush() writes into it. */
  constructor(base: OrderedSet<K>) {
    this.#base = base;
  }

  has(key: K): boolean {
    if (this.#added.has(key)) return true;
    return !this.#removed.has(key) && this.#base.has(key);
  }

  add(key: K): this {
    if (!this.has(key)) this.#added.set(key, true);
    return this;
  }

  delete(key: K): this {
    if (this.#added.has(key)) this.#added.delete(key);
    else if (this.#base.has(key)) this.#removed.add(key);
    return this;
  }

  *[Symbol.iterator](): IterableIterator<K> {
    for (const key of this.#base) if (!this.#removed.has(key)) yield key;
    yield* this.#added.keys();
  }

  /** Writes the net change into the base and returns it, still mutable. */
  flush(): OrderedSet<K> {
    const base = this.#base;
    for (const key of this.#removed) base.delete(key);
    for (const key of this.#added.keys()) base.add(key);
    return base;
  }
}

/**
 * The finishing order (`jobs.finishOrder`, an immutable.js List used as a queue) for the duration
 * of one applyBatch: push, first and shift on a native array; flush() shifts the base and pushes
 * what is left, the same list as record by record.
 */
export class BatchQueue<T> {
  readonly #base: List<T>;
  /** Entries shifted off the front so far (of the base first, then of #pushed). */
  #shifted = 0;
  readonly #pushed: T[] = [];

  /** `base` must be mutable (asMutable()); flush() writes into it. */
  constructor(base: List<T>) {
    this.#base = base;
  }

  get size(): number {
    return this.#base.size + this.#pushed.length - this.#shifted;
  }

  first(): T | undefined {
    const at = this.#shifted;
    return at < this.#base.size ? this.#base.get(at) : this.#pushed[at - this.#base.size];
  }

  push(value: T): this {
    this.#pushed.push(value);
    return this;
  }

  shift(): this {
    if (this.size > 0) this.#shifted++;
    return this;
  }

  /** Writes the batch into the base and returns it, still mutable. */
  flush(): List<T> {
    const base = this.#base;
    const fromBase = Math.min(this.#shifted, base.size);
    for (let i = 0; i < fromBase; i++) base.shift();
    for (let i = this.#shifted - fromBase; i < this.#pushed.length; i++) base.push(this.#pushed[i]!);
    return base;
  }
}

/**
 * The archived ids (`jobs.archived`, an immutable.js Set) for the duration of one applyBatch: has
 * and add; flush() adds the batch's ids to the (mutable) base.
 */
export class BatchSet<K> {
  readonly #base: ISet<K>;
  readonly #added = new Set<K>();

  /** `base` must be mutable (asMutable()); flush() writes into it. */
  constructor(base: ISet<K>) {
    this.#base = base;
  }

  has(key: K): boolean {
    return this.#added.has(key) || this.#base.has(key);
  }

  add(key: K): this {
    this.#added.add(key);
    return this;
  }

  /** Adds the batch's ids to the base in the order they were added, and returns it, still mutable. */
  flush(): ISet<K> {
    const base = this.#base;
    for (const key of this.#added) base.add(key);
    return base;
  }
}
