// bench:cluster, where a follower's wake-up goes: probes on the follower Instance's log in this
// process (bench-only instrumentation; nothing in src/ changes for it). For every record of the
// writer it gives, by one clock (same machine; the record's `ts` is the writer's wall time when
// it planned the batch, under the append lock):
//   write   ts → the batch file's mtime (the writer writing the batch)
//   notify  mtime → the first "the log grew" wake-up here after it (the writer's fsync and
//           listing, the mesh message, this process's event loop)
//   queue   that wake-up → the start of the read that applied the record (the log's one-at-a-time
//           section: behind this instance's own append, which holds it while it waits for the
//           cluster-wide append lock, or behind another read)
//   read    read start → applied (listing the log folder, reading and checking the batch)
// and which path applied it: the wake-up's read, this instance's own append (it reads the tip
// under the lock before writing), or the polling fallback.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { batchName } from '../../src/events/batch-file.js';
import type { EventLog } from '../../src/events/event-log.js';
import type { LogRecord } from '../../src/events/log-record.js';
import type { ProjectionState } from '../../src/projections/state.js';

interface Read {
  readonly start: number;
  end: number;
  readonly from: number;
  to: number;
  readonly path: 'wake' | 'own append' | 'poll';
}

export interface WakeSample {
  readonly seq: number;
  readonly totalMs: number;
  readonly writeMs: number;
  readonly notifyMs: number;
  readonly queueMs: number;
  readonly readMs: number;
  readonly path: Read['path'];
}

export interface WakeProbe {
  /** Call from the log's onApplied (first listener) with the records of the writer. */
  applied(records: readonly LogRecord[]): void;
  /** The samples, once the run is over (reads the batch files' mtimes). */
  samples(sharedDir: string): Promise<WakeSample[]>;
  /** Event-loop delay (p99, max ms) and GC pauses (count, total ms, max ms) during the run. */
  loop(): { p99: number; max: number; gcCount: number; gcMs: number; gcMaxMs: number };
  stop(): void;
}

/** Wraps the log's wake(), catchUp(), readTail() and writeGroupOnce() to time each step. */
export function probeWakeUps(log: EventLog<ProjectionState>, writer: string): WakeProbe {
  const wakes: number[] = [];
  const reads: Read[] = [];
  const applied: { record: LogRecord; at: number; read: Read | undefined }[] = [];
  let inWrite = 0;
  // A wake-up not yet served: the next read (from the one-at-a-time section) serves it.
  let wakePending = false;
  let current: Read | undefined;
  const l = log as unknown as Record<string, (...a: unknown[]) => unknown>;
  const wrap = (name: string, around: (orig: (...a: unknown[]) => unknown, args: unknown[]) => unknown) => {
    const orig = l[name]!.bind(log);
    l[name] = (...args: unknown[]) => around(orig, args);
  };
  wrap('wake', (orig, args) => {
    wakes.push(Date.now());
    wakePending = true;
    return orig(...args);
  });
  wrap('writeGroupOnce', async (orig, args) => {
    inWrite++;
    try {
      return await orig(...args);
    } finally {
      inWrite--;
    }
  });
  wrap('readTail', async (orig, args) => {
    const r: Read = {
      start: Date.now(),
      end: 0,
      from: log.seq,
      to: log.seq,
      path: inWrite > 0 ? 'own append' : wakePending ? 'wake' : 'poll',
    };
    wakePending = false;
    reads.push(r);
    current = r;
    try {
      return await orig(...args);
    } finally {
      r.end = Date.now();
      r.to = log.seq;
      current = undefined;
    }
  });

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });

  return {
    applied(records) {
      const at = Date.now();
      for (const record of records) if (record.by === writer) applied.push({ record, at, read: current });
    },
    async samples(sharedDir) {
      const mtimes = new Map<number, number>();
      const out: WakeSample[] = [];
      for (const { record, at, read } of applied) {
        const ts = Date.parse(record.ts);
        // The batch holding this record: the newest batch name at or below its seq that exists.
        let mtime = mtimes.get(record.seq);
        if (mtime === undefined) {
          for (let first = record.seq; first > record.seq - 50 && first > 0; first--) {
            try {
              mtime = (await stat(join(sharedDir, 'log', batchName(first)))).mtimeMs;
              break;
            } catch {
              // not the first seq of its batch, or packed into a segment since
            }
          }
          mtimes.set(record.seq, mtime ?? ts);
          mtime ??= ts;
        }
        const notifiedAt = wakes.find((w) => w >= mtime) ?? at;
        const start = read?.start ?? at;
        out.push({
          seq: record.seq,
          totalMs: at - ts,
          writeMs: mtime - ts,
          notifyMs: Math.max(0, Math.min(notifiedAt, start) - mtime),
          queueMs: Math.max(0, start - notifiedAt),
          readMs: at - start,
          path: read?.path ?? 'poll',
        });
      }
      return out;
    },
    loop() {
      return {
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
        gcCount: gc.length,
        gcMs: gc.reduce((a, b) => a + b, 0),
        gcMaxMs: gc.reduce((a, b) => Math.max(a, b), 0),
      };
    },
    stop() {
      delay.disable();
      obs.disconnect();
    },
  };
}
