// A large, realistic event log written straight to disk as packed segments (jobs submitted,
// assigned, started, completed), for benchmarks that need one: bench:log (replay) and
// bench:cluster (snapshots off the event loop).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileBytes, segmentName } from '../../src/events/batch-file.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import { sealRecord } from '../../src/events/record-codec.js';
import { DEFAULT_SEGMENT_RECORDS } from '../../src/events/segment-pack.js';

/** Keys in sorted order, recursively: then JSON.stringify gives the canonical text, fast. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sorted(o[k])]),
  );
}

/**
 * A realistic 1M-event log (jobs submitted, assigned, started, completed), written directly as
 * segments of DEFAULT_SEGMENT_RECORDS (10,000) records, as `log pack` makes them. Event data is built once per job with sorted keys so that
 * JSON.stringify yields the canonical line (checked against sealRecord for the first jobs).
 */
export async function generateLog(dir: string, total: number): Promise<void> {
  const logDir = join(dir, 'log');
  await mkdir(join(logDir, 'segments'), { recursive: true });
  await mkdir(join(dir, 'snapshots'), { recursive: true });
  const ts = '2026-11-25T13:00:00.000Z';
  let seq = 1;
  let prev = '';
  let chunk: string[] = [];
  let chunkFirst = 1;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const bytes = fileBytes(chunk, { count: chunk.length, first: chunkFirst, last: prev });
    await writeFile(join(logDir, segmentName(chunkFirst, seq - 1)), bytes);
    chunk = [];
    chunkFirst = seq;
  };
  const put = async (e: DarkroomEvent, by: string, inc: number, term: number): Promise<void> => {
    const data = JSON.stringify(sorted(e.data));
    const body = `{"by":"${by}","data":${data},"inc":${inc},"prev":"${prev}","seq":${seq},"term":${term},"ts":"${ts}","type":"${e.type}"}`;
    const hash = createHash('sha256').update(prev).update(body).digest('hex');
    const at = body.lastIndexOf(',"inc":');
    const line = `${body.slice(0, at)},"hash":"${hash}"${body.slice(at)}`;
    if (seq <= 12) {
      const check = sealRecord({ seq, ts, by, inc, term, type: e.type, data: e.data, prev });
      if (check.line !== line)
        throw new Error(`bench generator is not canonical at seq ${seq}:\n${line}\n${check.line}`);
    }
    prev = hash;
    chunk.push(line);
    seq++;
    if (chunk.length === DEFAULT_SEGMENT_RECORDS) await flush();
  };
  await put(
    {
      type: 'InstanceStarted',
      data: {
        instanceId: 'press1',
        host: 'h1',
        pid: 1,
        version: '0.1.0',
        slots: 4,
        confHash: 'c',
        formatLevel: 1,
      },
    },
    'press1',
    0,
    0,
  );
  await put({ type: 'CoordinatorElected', data: { instanceId: 'press1', inc: 1, term: 1 } }, 'press1', 1, 0);
  await put({ type: 'ChannelCreated', data: { channel: 'news', settings: { quality: 90 } } }, 'press1', 1, 1);
  for (let j = 0; seq <= total; j++) {
    const jobId = `20261125T130000Z-${j.toString(16).padStart(8, '0')}`;
    const steps: DarkroomEvent[] = [
      {
        type: 'JobSubmitted',
        data: {
          jobId,
          channel: 'news',
          source: 'hotfolder:news/in',
          relPath: `img${j}.jpg`,
          workDir: `work/${jobId}`,
          file: `img${j}.jpg`,
          bytes: 2_400_000,
          submittedBy: 'press1',
        },
      },
      { type: 'JobAssigned', data: { jobId, instanceId: 'press1', inc: 1, attempt: 1 } },
      { type: 'JobStarted', data: { jobId, instanceId: 'press1', attempt: 1 } },
      {
        type: 'JobCompleted',
        data: {
          jobId,
          attempt: 1,
          outcome: 'processed',
          outputs: [`hotfolders/news/out/img${j}.jpg`],
          timingsMs: { decode: 40, enhance: 80, encode: 30 },
        },
      },
    ];
    for (const e of steps) if (seq <= total) await put(e, 'press1', 1, 1);
  }
  await flush();
}
