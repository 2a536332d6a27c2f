// The record envelope as stored on disk: one JSON line per event, stable key order, hash-chained.
import type { DarkroomEvent } from './event-types.js';

export interface Envelope {
  /** Contiguous from 1. */
  readonly seq: number;
  /** Wall-clock time of the write, ISO 8601 (informational; never used to order). */
  readonly ts: string;
  /** The writing instance's id (or `cli:<user>` for a CLI append). */
  readonly by: string;
  /** The writer's incarnation (seq of its InstanceStarted), 0 for writers that are not instances. */
  readonly inc: number;
  /** The coordinator term the writer believed in. */
  readonly term: number;
  /** Hash of the previous record ('' for seq 1). */
  readonly prev: string;
  /** SHA-256 hex over prev and the canonical record without `hash`. */
  readonly hash: string;
}

export type LogRecord = Envelope & DarkroomEvent;

/** The seq/term/hash a projection or snapshot covers. */
export interface Provenance {
  readonly seq: number;
  readonly term: number;
  readonly hash: string;
}
