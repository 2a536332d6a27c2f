// `log verify`'s look at snapshots/: every snapshot checked as EventLog.open would check it (its
// name against the log, its digest, its state decoded), and with `replay` its state compared
// with the log replayed to its seq. Read-only: nothing in snapshots/ is changed or removed.
import stableStringify from 'fast-json-stable-stringify';
import type { ErrorCode } from '../errors/catalogue.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { LogRecord } from './log-record.js';
import { readRecords } from './log-reader.js';
import type { Projector } from './projector.js';
import { inspectSnapshotFile, listSnapshots, snapshotRefusal, type SnapshotRef } from './snapshot-store.js';

/** Where a snapshot's state first differs from the replay: a path and both values (shortened). */
export interface StateDifference {
  readonly path: string;
  readonly snapshot: string;
  readonly replay: string;
}

export interface SnapshotCheck {
  readonly file: string;
  readonly seq: number;
  readonly term: number;
  /** ok: EventLog.open would use it; ignored: it would not (code and message say why). */
  readonly status: 'ok' | 'ignored';
  readonly code?: ErrorCode;
  readonly message?: string;
  /** Only with `replay`: whether its state equals the log replayed to its seq. */
  readonly replay?: 'equal' | 'differs' | 'not compared';
  readonly difference?: StateDifference;
  /** Why it was not compared (the log is broken or shorter, or the body does not parse). */
  readonly notCompared?: string;
}

/** Records folded at a time in the replay (cut at every snapshot's seq). */
const SLICE = 1_000;

/**
 * Checks every snapshot in snapshots/, oldest first. With `replay`, folds the log once from seq 1
 * to the newest snapshot's seq and compares each snapshot's state with it (the state a full
 * replay gives is the truth: invariant 2). Touches the shared drive (reads only).
 */
export async function checkSnapshots<S>(
  sharedDir: string,
  projector: Projector<S>,
  opts: { readonly replay?: boolean } = {},
): Promise<SnapshotCheck[]> {
  const refs = (await listSnapshots(sharedDir)).sort((a, b) => a.seq - b.seq);
  const read = await Promise.all(refs.map((ref) => examine(sharedDir, projector, ref)));
  if (opts.replay !== true) {
    const hashes = new Map<number, string>();
    for (const ref of refs) {
      if (hashes.has(ref.seq)) continue;
      try {
        for await (const e of readRecords(sharedDir, { from: ref.seq, to: ref.seq }))
          hashes.set(ref.seq, e.record.hash);
      } catch {
        // The log is broken there: `log verify` reports that; the snapshot cannot be matched.
      }
    }
    return read.map((r) => withLog(r, hashes.get(r.ref.seq)));
  }
  const wanted = new Set(refs.map((r) => r.seq));
  const replayed = new Map<number, { hash: string; json: unknown }>();
  let brokenAt: string | undefined;
  const last = refs[refs.length - 1]?.seq ?? 0;
  let state = projector.initial();
  let slice: LogRecord[] = [];
  const fold = (): void => {
    if (slice.length === 0) return;
    if (projector.applyBatch !== undefined) state = projector.applyBatch(state, slice);
    else for (const r of slice) state = projector.apply(state, r);
    slice = [];
  };
  if (last > 0) {
    try {
      for await (const e of readRecords(sharedDir, { to: last })) {
        slice.push(e.record);
        const at = wanted.has(e.record.seq);
        if (at || slice.length >= SLICE) fold();
        if (at)
          replayed.set(e.record.seq, { hash: e.record.hash, json: jsonOf(projector.toSnapshot(state)) });
      }
    } catch (err) {
      brokenAt = err instanceof Error ? err.message : String(err);
    }
  }
  return read.map((r) => {
    const checked = withLog(r, replayed.get(r.ref.seq)?.hash);
    const truth = replayed.get(r.ref.seq);
    if (truth === undefined) {
      return {
        ...checked,
        replay: 'not compared',
        notCompared: brokenAt ?? `the log ends before seq ${r.ref.seq}`,
      };
    }
    if (r.state === undefined)
      return { ...checked, replay: 'not compared', notCompared: 'its body does not parse' };
    const difference = firstDifference(r.state, truth.json, 'state');
    return difference === undefined
      ? { ...checked, replay: 'equal' }
      : { ...checked, replay: 'differs', difference };
  });
}

interface Examined {
  readonly ref: SnapshotRef;
  /** The body's state as parsed JSON (even of a refused snapshot, where it parses). */
  readonly state?: unknown;
  readonly refused?: DarkroomError;
}

async function examine<S>(sharedDir: string, projector: Projector<S>, ref: SnapshotRef): Promise<Examined> {
  const r = await inspectSnapshotFile(sharedDir, ref.file);
  const state = r.body?.state;
  if (r.refused !== undefined) return { ref, state, refused: r.refused };
  try {
    const p = projector.provenance(projector.fromSnapshot(state));
    if (p.seq !== ref.seq || p.hash !== ref.hash) {
      return {
        ref,
        state,
        refused: new DarkroomError('E_SNAPSHOT_MISMATCH', {
          file: ref.file,
          seq: ref.seq,
          detail: `its state covers seq ${p.seq}, not the position in its name`,
        }),
      };
    }
  } catch (err) {
    return { ref, state, refused: snapshotRefusal(ref.file, err) };
  }
  return { ref, state };
}

function withLog(r: Examined, logHash: string | undefined): SnapshotCheck {
  let refused = r.refused;
  if (refused === undefined && logHash !== r.ref.hash) {
    refused = new DarkroomError('E_SNAPSHOT_MISMATCH', {
      file: r.ref.file,
      seq: r.ref.seq,
      detail:
        logHash === undefined
          ? `the log has no readable record at seq ${r.ref.seq} (a snapshot of another, longer log, or the log is broken there)`
          : `the log's record there has hash ${logHash.slice(0, 12)}…, the snapshot's ${r.ref.hash.slice(0, 12)}… (a snapshot of another log)`,
    });
  }
  const base = { file: r.ref.file, seq: r.ref.seq, term: r.ref.term };
  return refused === undefined
    ? { ...base, status: 'ok' }
    : { ...base, status: 'ignored', code: refused.code, message: refused.message };
}

function jsonOf(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** A list entry's name in a path: its name, jobId, instanceId or user where it has one. */
function label(v: unknown, i: number): string {
  if (typeof v === 'object' && v !== null) {
    for (const k of ['name', 'jobId', 'instanceId', 'user']) {
      const id = (v as Record<string, unknown>)[k];
      if (typeof id === 'string') return `[${k}=${id}]`;
    }
  }
  return `[${i}]`;
}

function shown(v: unknown): string {
  const s = v === undefined ? '(missing)' : stableStringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Pure: the first place where two JSON values differ (depth first), or undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path: string): StateDifference | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}${label(a[i] ?? b[i], i)}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
      const d = firstDifference(ao[k], bo[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : { path, snapshot: shown(a), replay: shown(b) };
}
