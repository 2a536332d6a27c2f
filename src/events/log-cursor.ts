// LogCursor: reads the log forward from a seq, one file at a time. Discovers the next batch by
// opening it by name (never a cached stat or readdir); falls back to the segments when a batch
// is gone (packed), and decodes and chain-checks every record it returns.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../errors/darkroom-error.js';
import {
  RECORD_START,
  SEGMENTS_DIR,
  batchName,
  parseBatchName,
  parseSegmentName,
  readRawLogFile,
  type RawLogFile,
  type TrailingBytes,
} from './batch-file.js';
import type { LogRecord } from './log-record.js';
import { decodeLine, trailerLine } from './record-codec.js';

export interface ReadEntry {
  readonly record: LogRecord;
  /** File relative to log/. */
  readonly file: string;
  /** 1-based line in that file. */
  readonly line: number;
}

export type ReadStep =
  | {
      readonly kind: 'records';
      readonly file: string;
      readonly entries: readonly ReadEntry[];
      readonly bytes: number;
      /** The entries' lines as read (only with `keepLines`: the replay worker sends them on). */
      readonly lines?: readonly string[];
      /** Bytes after the file's trailer: damage to report; the records before it stand. */
      readonly trailing?: TrailingBytes;
    }
  | { readonly kind: 'end' }
  /**
   * A batch file without a trailer whose content is what a crashed or unfinished write leaves:
   * valid records, then at most a partial line. `offset`: where its unfinished part starts.
   */
  | { readonly kind: 'incomplete'; readonly file: string; readonly lines: number; readonly offset: number };

interface SegmentRef {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

export async function listSegments(logDir: string): Promise<SegmentRef[]> {
  let names: string[];
  try {
    names = await readdir(join(logDir, SEGMENTS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentRef[] = [];
  for (const n of names) {
    const r = parseSegmentName(n);
    if (r) out.push({ name: `${SEGMENTS_DIR}/${n}`, ...r });
  }
  return out.sort((a, b) => a.first - b.first || b.last - a.last);
}

/** Adds the byte offset of its line to a damage error read from `raw` (decodeLine knows lines only). */
function withOffset(err: unknown, raw: RawLogFile): unknown {
  if (
    !(err instanceof DarkroomError) ||
    err.fields['file'] !== raw.name ||
    err.fields['offset'] !== undefined
  )
    return err;
  const line = Number(err.fields['line']);
  return new DarkroomError(err.code, { ...err.fields, offset: raw.offsetOf(line) }, { cause: err.cause });
}

/**
 * The damage that a file after the log's apparent end reveals, or undefined when there is none:
 * the log stops at `next`, yet a later file exists. The damage is in the incomplete batch at
 * `next` when there is one (its trailer is gone), else seq `next`'s file is missing.
 */
export async function gapDamage(
  logDir: string,
  next: number,
  incomplete?: { readonly file: string; readonly offset: number },
): Promise<DarkroomError | undefined> {
  const after = await fileAfter(logDir, next);
  if (after === undefined) return undefined;
  if (incomplete !== undefined) {
    return new DarkroomError('E_LOG_CORRUPT', {
      file: incomplete.file,
      offset: incomplete.offset,
      line: 0,
      seq: next,
      detail: `this batch has no trailer (cut or damaged from byte ${incomplete.offset}), but ${after} comes after it: it was complete once`,
    });
  }
  return new DarkroomError('E_LOG_CORRUPT', {
    file: batchName(next),
    offset: 0,
    line: 0,
    seq: next,
    detail: `no batch or segment holds seq ${next} (the file is missing), but ${after} exists after it`,
  });
}

/**
 * A batch or segment starting after `seq` (the log's apparent end), or undefined. Such a file
 * means a gap: the log does not end at `seq`, something in between is missing. Uses readdir, so
 * it is for opening and verifying, not for every poll.
 */
export async function fileAfter(logDir: string, seq: number): Promise<string | undefined> {
  for (const n of await readdir(logDir).catch(() => [] as string[])) {
    const first = parseBatchName(n);
    if (first !== undefined && first > seq) return n;
  }
  return (await listSegments(logDir)).find((s) => s.first > seq)?.name;
}

export class LogCursor {
  /** The next seq to read. */
  next: number;
  /** Hash of seq next-1 ('' before seq 1; undefined when unknown: started mid-log). */
  prev: string | undefined;
  private segments: SegmentRef[] = [];
  /** True once `next` is known to be the first seq of a file. */
  private aligned: boolean;

  constructor(
    private readonly logDir: string,
    from = 1,
    prev: string | undefined = from === 1 ? '' : undefined,
    opts: { readonly aligned?: boolean; readonly keepLines?: boolean } = {},
  ) {
    this.next = from;
    this.prev = prev;
    this.aligned = opts.aligned ?? from === 1;
    this.keepLines = opts.keepLines ?? false;
  }

  private readonly keepLines: boolean;

  /** True when `next` is the first seq of a file (the cursor read up to a file's end). */
  get atFileStart(): boolean {
    return this.aligned;
  }

  /** Moves to the start of the file after seq `next - 1`, whose hash is `prev` (records applied elsewhere). */
  skipTo(next: number, prev: string): void {
    this.next = next;
    this.prev = prev;
    this.aligned = true;
  }

  /** Re-lists the (small) segments folder; call at the start of each catch-up. */
  async refreshSegments(): Promise<void> {
    this.segments = await listSegments(this.logDir);
  }

  private segmentCovering(seq: number): SegmentRef | undefined {
    let best: SegmentRef | undefined;
    for (const s of this.segments) {
      if (s.first <= seq && seq <= s.last && (best === undefined || s.first > best.first)) best = s;
    }
    return best;
  }

  /** Reads the next file holding `next` and returns its records from `next` on. */
  async readNext(): Promise<ReadStep> {
    const raw = await this.locate();
    if (raw === undefined) return { kind: 'end' };
    if (raw.trailer === undefined) {
      if (raw.name.startsWith(SEGMENTS_DIR)) {
        throw new DarkroomError('E_LOG_CORRUPT', {
          file: raw.name,
          offset: raw.offsetOf(raw.lines.length + 1),
          line: raw.lines.length + 1,
          seq: this.next,
          detail: 'segment has no trailer',
        });
      }
      this.checkTorn(raw);
      return {
        kind: 'incomplete',
        file: raw.name,
        lines: raw.lines.length,
        offset: raw.offsetOf(raw.lines.length + 1),
      };
    }
    let entries: ReadEntry[];
    try {
      entries = this.decodeFile(raw);
    } catch (err) {
      throw withOffset(err, raw);
    }
    const last = entries[entries.length - 1];
    const lines = this.keepLines ? raw.lines.slice(raw.lines.length - entries.length) : undefined;
    if (last !== undefined) {
      this.next = last.record.seq + 1;
      this.prev = last.record.hash;
    }
    this.aligned = true;
    return {
      kind: 'records',
      file: raw.name,
      entries,
      bytes: raw.bytes,
      ...(lines ? { lines } : {}),
      ...(raw.trailing ? { trailing: raw.trailing } : {}),
    };
  }

  /**
   * A batch without a trailer is torn (its writer stopped) only if it holds what a write leaves
   * when it stops: valid records, then a prefix of one more line (a record or the trailer),
   * perhaps padded with NULs by a crashed machine. Anything else is damage (E_LOG_CORRUPT, file
   * and byte offset): it is never moved aside, since it may be a complete batch with a damaged
   * trailer.
   */
  private checkTorn(raw: RawLogFile): void {
    const first = parseBatchName(raw.name)!;
    let prev = first === this.next ? this.prev : undefined;
    try {
      for (let i = 0; i < raw.lines.length; i++) {
        prev = decodeLine(raw.lines[i]!, { file: raw.name, line: i + 1 }, { seq: first + i, prev }).hash;
      }
    } catch (err) {
      throw withOffset(err, raw);
    }
    const frag = raw.fragment.replace(/\0+$/, '');
    const last = raw.lines.length > 0 ? prev : undefined;
    const trailer = last !== undefined;
    const expected = trailer ? `${trailerLine({ count: raw.lines.length, first, last })}\n` : '';
    const partial =
      frag === '' ||
      (!frag.includes('\0') &&
        (frag.startsWith(RECORD_START) ||
          RECORD_START.startsWith(frag) ||
          (trailer && expected.startsWith(frag))));
    if (!partial) {
      throw new DarkroomError('E_LOG_CORRUPT', {
        file: raw.name,
        offset: raw.offsetOf(raw.lines.length + 1),
        line: raw.lines.length + 1,
        seq: first + raw.lines.length,
        detail: 'the batch has no trailer and this line is neither a record nor part of its trailer',
      });
    }
  }

  private async locate(): Promise<RawLogFile | undefined> {
    // A segment, once made, is the authority for the seqs it covers (a leftover batch is a copy).
    const seg = this.segmentCovering(this.next);
    if (seg !== undefined) return this.readSegment(seg);
    const byName = await readRawLogFile(this.logDir, batchName(this.next));
    if (byName !== undefined) return byName;
    await this.refreshSegments();
    const seg2 = this.segmentCovering(this.next);
    if (seg2 !== undefined) return this.readSegment(seg2);
    if (!this.aligned) return this.locateInsideBatch();
    return undefined;
  }

  private async readSegment(seg: SegmentRef): Promise<RawLogFile> {
    const raw = await readRawLogFile(this.logDir, seg.name);
    if (raw === undefined) {
      throw new DarkroomError('E_LOG_CORRUPT', {
        file: seg.name,
        offset: 0,
        line: 0,
        seq: this.next,
        detail: 'segment vanished',
      });
    }
    return raw;
  }

  /** Started mid-log: the batch with the greatest first seq below `next` may hold it. */
  private async locateInsideBatch(): Promise<RawLogFile | undefined> {
    let best: number | undefined;
    for (const n of await readdir(this.logDir)) {
      const first = parseBatchName(n);
      if (first !== undefined && first < this.next && (best === undefined || first > best)) best = first;
    }
    if (best === undefined) return undefined;
    const raw = await readRawLogFile(this.logDir, batchName(best));
    if (raw === undefined || raw.trailer === undefined) return undefined;
    return best + raw.trailer.count > this.next ? raw : undefined;
  }

  private decodeFile(raw: RawLogFile): ReadEntry[] {
    const t = raw.trailer!;
    const seg = parseSegmentName(raw.name.slice(SEGMENTS_DIR.length + 1));
    const first = seg?.first ?? parseBatchName(raw.name)!;
    const bad = (line: number, seq: number, detail: string): DarkroomError =>
      new DarkroomError('E_LOG_CORRUPT', { file: raw.name, line, seq, detail });
    if (t.first !== first || t.count !== raw.lines.length || t.count === 0) {
      throw bad(
        raw.lines.length + 1,
        first,
        `trailer says ${t.count} records from seq ${t.first}, file holds ${raw.lines.length} from seq ${first}`,
      );
    }
    if (seg !== undefined && seg.last !== first + t.count - 1) {
      throw bad(
        raw.lines.length + 1,
        first,
        `segment name says last seq ${seg.last}, trailer says ${first + t.count - 1}`,
      );
    }
    const entries: ReadEntry[] = [];
    // Records before `next` were read by whoever wrote the snapshot or position we start from:
    // they are skipped unparsed (log verify reads every record from seq 1).
    const skip = Math.max(0, this.next - first);
    if (skip >= raw.lines.length) {
      throw bad(raw.lines.length + 1, this.next, `file ends before seq ${this.next}`);
    }
    let prev = this.prev;
    for (let i = skip; i < raw.lines.length; i++) {
      const seq = first + i;
      const record = decodeLine(raw.lines[i]!, { file: raw.name, line: i + 1 }, { seq, prev });
      prev = record.hash;
      entries.push({ record, file: raw.name, line: i + 1 });
    }
    if (prev !== t.last)
      throw bad(raw.lines.length + 1, first + t.count - 1, 'trailer hash differs from the last record');
    return entries;
  }
}
