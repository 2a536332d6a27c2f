// Record framing: one canonical JSON line per record (fast-json-stable-stringify), the SHA-256
// hash chain, and the decoding of a line read from disk into a validated LogRecord with errors
// that name file, line, seq and field.
import { hash as oneShotHash } from 'node:crypto';
import stringify from 'fast-json-stable-stringify';
import { DarkroomError } from '../errors/darkroom-error.js';
import { eventSchemas, isEventType, type DarkroomEvent } from './event-types.js';
import type { LogRecord } from './log-record.js';

/** Where a line was read from, for error messages. */
export interface LineOrigin {
  readonly file: string;
  readonly line: number;
}

export type UnsealedRecord = Omit<LogRecord, 'hash'>;

export function canonical(value: unknown): string {
  return stringify(value);
}

/** SHA-256 hex over `prev` followed by the canonical record without `hash`. */
export function chainHash(prev: string, canonicalBody: string): string {
  // One-shot crypto.hash: about half the cost of createHash().update().digest() for ~300 bytes.
  return oneShotHash('sha256', prev + canonicalBody, 'hex');
}

/** Computes the record's hash and its line (without the newline). */
export function sealRecord(unsealed: UnsealedRecord): { record: LogRecord; line: string } {
  const body = canonical(unsealed);
  const hash = chainHash(unsealed.prev, body);
  const record = { ...unsealed, hash } as LogRecord;
  // `hash` sorts right before the top-level `inc`; splice it in rather than serialise twice.
  const tail = `,"inc":${unsealed.inc},"prev":"${unsealed.prev}","seq":${unsealed.seq},`;
  const at = body.lastIndexOf(tail);
  const line = at > 0 ? `${body.slice(0, at)},"hash":"${hash}"${body.slice(at)}` : canonical(record);
  return { record, line };
}

/** Validates an event's data against its schema before it is written; throws E_LOG_RECORD_INVALID. */
export function validateEvent(event: DarkroomEvent, seq: number): void {
  if (!isEventType(event.type)) {
    throw new DarkroomError('E_LOG_TOO_NEW', { seq, type: String(event.type) });
  }
  const result = eventSchemas[event.type].safeParse(event.data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DarkroomError('E_LOG_RECORD_INVALID', {
      file: '(append)',
      offset: '-',
      line: 0,
      seq,
      field: ['data', ...(issue?.path ?? [])].join('.'),
      detail: `${event.type}: ${issue?.message ?? 'invalid'}`,
    });
  }
}

const HASH_KEY = ',"hash":"';
const HEX64 = /^[0-9a-f]{64}$/;

const ENVELOPE_CHECKS: readonly (readonly [
  string,
  (v: unknown, prev: string | undefined) => boolean,
  string,
])[] = [
  ['ts', (v) => typeof v === 'string' && v.length > 0, 'an ISO time string'],
  ['by', (v) => typeof v === 'string' && v.length > 0, 'a non-empty string'],
  ['inc', (v) => Number.isInteger(v) && (v as number) >= 0, 'an integer >= 0'],
  ['term', (v) => Number.isInteger(v) && (v as number) >= 0, 'an integer >= 0'],
  ['type', (v) => typeof v === 'string' && v.length > 0, 'an event type name'],
  // The expected prev was itself checked (or is ''): equality spares the regex on the hot path.
  [
    'prev',
    (v, prev) => v === '' || (v === prev && prev !== undefined) || (typeof v === 'string' && HEX64.test(v)),
    "'' or 64 hex digits",
  ],
  // Length only here: a hash equal to the computed one is hex; a mismatch is told apart below.
  ['hash', (v) => typeof v === 'string' && v.length === 64, '64 hex digits'],
];
const ENVELOPE_KEYS = new Set(['seq', 'ts', 'by', 'inc', 'term', 'type', 'data', 'prev', 'hash']);

function corrupt(o: LineOrigin, seq: number | string, detail: string): DarkroomError {
  return new DarkroomError('E_LOG_CORRUPT', { file: o.file, line: o.line, seq, detail });
}

function invalid(o: LineOrigin, seq: number | string, field: string, detail: string): DarkroomError {
  return new DarkroomError('E_LOG_RECORD_INVALID', { file: o.file, line: o.line, seq, field, detail });
}

/**
 * Hash of a line as written: the canonical line minus its `"hash"` member. Fast path: the writer
 * emits canonical lines, whose top-level hash member is the last `,"hash":"` (the keys after it,
 * inc/prev/seq/term/ts/type, hold no such text). A line that is not canonical (edited by a tool)
 * falls back to re-serialising the parsed object.
 */
function lineHash(text: string, parsed: Record<string, unknown>): string {
  const at = text.lastIndexOf(HASH_KEY);
  const claimed = parsed['hash'];
  if (at > 0 && text.slice(at + HASH_KEY.length, at + HASH_KEY.length + 64) === claimed) {
    const body = text.slice(0, at) + text.slice(at + HASH_KEY.length + 65);
    const fast = chainHash(String(parsed['prev']), body);
    if (fast === claimed) return fast;
  }
  const { hash: _hash, ...rest } = parsed;
  return chainHash(String(parsed['prev']), canonical(rest));
}

/**
 * Decodes one line read from disk. Checks, in order: JSON, envelope fields, seq and prev
 * against what the chain expects, the hash, the event type (E_LOG_TOO_NEW when unknown) and its
 * data schema. Damage is E_LOG_CORRUPT; a well-formed record breaking its schema is E_LOG_RECORD_INVALID.
 */
export function decodeLine(
  text: string,
  origin: LineOrigin,
  expect: { readonly seq: number; readonly prev: string | undefined },
): LogRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // JSON.parse rejects every NUL (raw control characters are invalid in and out of strings),
    // so the NUL scan is needed only to name the damage.
    if (text.includes('\u0000')) throw corrupt(origin, expect.seq, 'NUL bytes in the line');
    throw corrupt(origin, expect.seq, `not JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw corrupt(origin, expect.seq, 'not a JSON object');
  }
  const r = parsed as Record<string, unknown>;
  const seq = r['seq'];
  if (seq !== expect.seq) {
    throw corrupt(origin, expect.seq, `expected seq ${expect.seq}, found ${JSON.stringify(seq)}`);
  }
  for (const [field, ok, what] of ENVELOPE_CHECKS) {
    if (!ok(r[field], expect.prev)) {
      throw invalid(origin, expect.seq, field, `must be ${what}, found ${JSON.stringify(r[field])}`);
    }
  }
  if (typeof r['data'] !== 'object' || r['data'] === null) {
    throw invalid(origin, expect.seq, 'data', 'must be an object');
  }
  let keys = 0;
  for (const _ in r) keys++;
  if (keys !== ENVELOPE_KEYS.size) {
    const extra = Object.keys(r).find((k) => !ENVELOPE_KEYS.has(k));
    throw invalid(origin, expect.seq, extra ?? '?', 'is not an envelope field');
  }
  if (expect.prev !== undefined && r['prev'] !== expect.prev) {
    throw corrupt(
      origin,
      expect.seq,
      `prev ${String(r['prev']).slice(0, 12)}… does not match the hash of seq ${expect.seq - 1}`,
    );
  }
  if (lineHash(text, r) !== r['hash']) {
    if (!HEX64.test(r['hash'] as string)) {
      throw invalid(origin, expect.seq, 'hash', `must be 64 hex digits, found ${JSON.stringify(r['hash'])}`);
    }
    throw corrupt(origin, expect.seq, 'hash mismatch: the record was changed after it was written');
  }
  const type = r['type'] as string;
  if (!isEventType(type)) {
    throw new DarkroomError('E_LOG_TOO_NEW', { seq: expect.seq, type, file: origin.file, line: origin.line });
  }
  const result = eventSchemas[type].safeParse(r['data']);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalid(
      origin,
      expect.seq,
      ['data', ...(issue?.path ?? [])].join('.'),
      `${type}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return r as unknown as LogRecord;
}

/** The trailer line that marks a batch or segment complete. */
export interface Trailer {
  readonly count: number;
  readonly first: number;
  readonly last: string;
}

export function trailerLine(t: Trailer): string {
  return canonical({ trailer: t });
}

/** Parses a trailer line, or undefined when the line is not one. */
export function parseTrailer(text: string): Trailer | undefined {
  if (!text.startsWith('{"trailer":')) return undefined;
  try {
    const t = (JSON.parse(text) as { trailer?: Partial<Trailer> }).trailer;
    if (
      t !== undefined &&
      Number.isInteger(t.count) &&
      Number.isInteger(t.first) &&
      typeof t.last === 'string'
    ) {
      return { count: t.count!, first: t.first!, last: t.last };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
