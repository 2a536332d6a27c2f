// Snapshot encoding of the projections: JSON-safe, canonical (maps as arrays sorted by key, the
// open set in its order), so equal states encode to equal JSON and decode(encode(s)) re-encodes
// to exactly the same value.
import { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import { DarkroomError } from '../errors/darkroom-error.js';
import { isEventType, type EventType } from '../events/event-types.js';
import { archivedIds, finalStates, isRetainFinished } from './jobs.js';
import type {
  ChannelView,
  FinishEntry,
  CoordinatorView,
  InstanceView,
  JobView,
  ProjectionState,
  UserView,
} from './state.js';

export const SNAPSHOT_FORMAT = 'darkroom-projections';
export const SNAPSHOT_VERSION = 2;

export interface SnapshotJson {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  readonly meta: { readonly seq: number; readonly hash: string; readonly ignored: [EventType, number][] };
  readonly config: {
    readonly channels: ChannelView[];
    readonly users: UserView[];
    readonly settings: [string, unknown][];
  };
  readonly jobs: {
    readonly all: JobView[];
    readonly open: string[];
    readonly lastAssigned: [string, number][];
    readonly retainFinished: number;
    readonly finishOrder: FinishEntry[];
    /** Archived job ids, sorted, joined by newlines: one string parses much faster than a list. */
    readonly archived: string;
  };
  readonly cluster: {
    readonly instances: InstanceView[];
    readonly term: number;
    readonly coordinator?: CoordinatorView;
  };
}

function byKey<V>(map: IMap<string, V>): [string, V][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Pure: the canonical JSON-safe encoding of `state`. */
export function encodeSnapshot(state: ProjectionState): SnapshotJson {
  const { config, jobs, cluster, meta } = state;
  const values = <V>(map: IMap<string, V>): V[] => byKey(map).map(([, v]) => v);
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    meta: { seq: meta.seq, hash: meta.hash, ignored: byKey(meta.ignored) as [EventType, number][] },
    config: {
      channels: values(config.channels),
      users: values(config.users),
      settings: byKey(config.settings),
    },
    jobs: {
      all: values(jobs.all),
      open: [...jobs.open],
      lastAssigned: byKey(jobs.lastAssigned),
      retainFinished: jobs.retainFinished,
      finishOrder: [...jobs.finishOrder],
      archived: archivedIds(jobs).join('\n'),
    },
    cluster: {
      instances: values(cluster.instances),
      term: cluster.term,
      ...(cluster.coordinator === undefined ? {} : { coordinator: cluster.coordinator }),
    },
  };
}

/** Pure: the state a snapshot encodes. Throws E_SNAPSHOT_UNREADABLE naming the first bad part. */
export function decodeSnapshot(json: unknown): ProjectionState {
  const s = json as Partial<SnapshotJson> | null;
  if (typeof s !== 'object' || s === null) bad('not an object');
  if (s.format !== SNAPSHOT_FORMAT || s.version !== SNAPSHOT_VERSION) {
    bad(
      `format ${String(s.format)} version ${String(s.version)}, expected ${SNAPSHOT_FORMAT} ${SNAPSHOT_VERSION}`,
    );
  }
  const { meta, config, jobs, cluster } = s;
  if (meta === undefined || config === undefined || jobs === undefined || cluster === undefined) {
    bad('meta, config, jobs or cluster is missing');
  }
  if (typeof meta.seq !== 'number' || typeof meta.hash !== 'string') bad('meta.seq or meta.hash');
  if (typeof cluster.term !== 'number') bad('cluster.term');
  for (const [type] of list(meta.ignored, 'meta.ignored')) {
    if (typeof type !== 'string' || !isEventType(type))
      bad(`meta.ignored names unknown event type ${String(type)}`);
  }
  const open = list(jobs.open, 'jobs.open');
  const all = keyed(jobs.all, 'jobs.all', 'jobId');
  for (const id of open) if (!all.has(id)) bad(`jobs.open names job ${id} that jobs.all lacks`);
  if (!isRetainFinished(jobs.retainFinished)) bad('jobs.retainFinished');
  const finishOrder = list(jobs.finishOrder, 'jobs.finishOrder');
  for (const e of finishOrder) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number')
      bad('jobs.finishOrder has an entry that is not [jobId, seq]');
    Object.freeze(e);
  }
  let finishedCount = 0;
  for (const job of all.values()) if (finalStates.includes(job.state)) finishedCount += 1;
  if (typeof jobs.archived !== 'string') bad('jobs.archived is not a string');
  const archivedBase = jobs.archived === '' ? [] : jobs.archived.split('\n');
  for (let i = 1; i < archivedBase.length; i++) {
    if (!(archivedBase[i - 1]! < archivedBase[i]!)) bad(`jobs.archived is not sorted at ${archivedBase[i]}`);
  }
  return Object.freeze({
    config: Object.freeze({
      channels: keyed(config.channels, 'config.channels', 'name'),
      users: keyed(config.users, 'config.users', 'user'),
      settings: IMap(list(config.settings, 'config.settings')),
    }),
    jobs: Object.freeze({
      all,
      open: OrderedSet(open),
      lastAssigned: IMap(list(jobs.lastAssigned, 'jobs.lastAssigned')),
      retainFinished: jobs.retainFinished,
      finishedCount,
      finishOrder: List(finishOrder),
      archivedBase: Object.freeze(archivedBase),
      archived: ISet<string>(),
    }),
    cluster: Object.freeze({
      instances: keyed(cluster.instances, 'cluster.instances', 'instanceId'),
      term: cluster.term,
      ...(cluster.coordinator === undefined ? {} : { coordinator: freezeView(cluster.coordinator) }),
    }),
    meta: Object.freeze({ seq: meta.seq, hash: meta.hash, ignored: IMap(meta.ignored) }),
  });
}

function bad(detail: string): never {
  throw new DarkroomError('E_SNAPSHOT_UNREADABLE', { detail });
}

function list<T>(value: T[] | undefined, where: string): T[] {
  if (!Array.isArray(value)) bad(`${where} is not a list`);
  return value;
}

/** An immutable Map of frozen views from a list, keyed by each view's `key` field. */
function keyed<V extends object>(values: V[] | undefined, where: string, key: keyof V): IMap<string, V> {
  return IMap<string, V>().withMutations((map) => {
    for (const v of list(values, where)) {
      const k = typeof v === 'object' && v !== null ? v[key] : undefined;
      if (typeof k !== 'string') bad(`${where} has an entry without a ${String(key)}`);
      map.set(k, freezeView(v));
    }
  });
}

/**
 * Freezes a view and the objects it holds directly (stamps, settings, outputs...), as the reducers
 * do. About a third of decoding a large snapshot (for-in: no array per view, unlike Object.values).
 */
function freezeView<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    const view = value as Record<string, unknown>;
    for (const key in view) {
      const v = view[key];
      if (typeof v === 'object' && v !== null) Object.freeze(v);
    }
    Object.freeze(value);
  }
  return value;
}
