// bench:http — requests/s and p99 of job status and job list with 10,000 jobs in the projection,
// and of 2 MP uploads, against a server in its own process (autocannon), with the server's
// heartbeat timer watched meanwhile. Figures are printed beside their goals.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { EventLog } from '../../src/events/event-log.js';
import { initLog } from '../../src/events/log-init.js';
import type { DarkroomEvent } from '../../src/events/event-types.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { newToken } from '../../src/users/credentials.js';

const JOBS = 10_000;
const HEARTBEAT_MS = 1000;
const seconds = Number(process.env['BENCH_HTTP_SECONDS'] ?? 10);
const dir = await mkdtemp(join(tmpdir(), 'darkroom-bench-http-'));

// The projection: 10,000 submitted jobs on channel news, a user with a token.
await initLog(dir);
const log = await EventLog.open<ProjectionState>({
  sharedDir: dir,
  writer: { by: 'seed', inc: 0 },
  projector: darkroomProjector,
  snapshotEvery: 0,
});
const t = newToken();
await log.append([
  { type: 'ChannelCreated', data: { channel: 'news', settings: { type: 'process' } } },
  { type: 'UserAdded', data: { user: 'bench', role: 'operator' } },
  { type: 'TokenCreated', data: { user: 'bench', tokenId: t.tokenId, hash: t.hash, label: 'bench' } },
]);
const ids: string[] = [];
for (let b = 0; b < JOBS / 1000; b++) {
  const events: DarkroomEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const jobId = `job-${String(b * 1000 + i).padStart(5, '0')}`;
    ids.push(jobId);
    events.push({
      type: 'JobSubmitted',
      data: {
        jobId,
        channel: 'news',
        source: 'bench',
        relPath: `${jobId}.jpg`,
        workDir: `work/${jobId}`,
        file: `${jobId}.jpg`,
        bytes: 1000,
        submittedBy: 'seed',
      },
    });
  }
  await log.append(events);
}
await log.stop();

const server = spawn(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, 'server.ts'), dir, String(HEARTBEAT_MS)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let out = '';
server.stdout.on('data', (d: Buffer) => (out += d.toString()));
const port = await new Promise<number>((resolve, reject) => {
  const check = setInterval(() => {
    const m = /listening (\d+)/.exec(out);
    if (m !== null) {
      clearInterval(check);
      resolve(Number(m[1]));
    }
  }, 50);
  server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});
const base = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${t.token}` };

async function run(title: string, o: autocannon.Options): Promise<autocannon.Result> {
  const r = await autocannon({ connections: 10, duration: seconds, headers, ...o });
  const non2xx = r.non2xx;
  console.log(
    `  ${title}: ${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, p50 ${r.latency.p50} ms${non2xx > 0 ? `, ${non2xx} non-2xx` : ''}, errors ${r.errors}`,
  );
  return r;
}

console.log(
  `bench:http — ${availableParallelism()} CPUs, ${JOBS} jobs in the projection, ${seconds} s per run, 10 connections (autocannon in this process, the server in its own)`,
);
let n = 0;
// Warm-up (JIT, schema compilation), not counted.
await autocannon({ url: `${base}/api/jobs/${ids[0]!}`, connections: 10, duration: 2, headers });
const status = await run('job status  GET /api/jobs/ID', {
  url: base,
  requests: [
    { method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/jobs/${ids[n++ % ids.length]!}` }) },
  ],
});
const list = await run('job list    GET /api/jobs?limit=50', { url: `${base}/api/jobs?limit=50` });
const filtered = await run('job list    GET /api/jobs?state=submitted&channel=news&limit=50&before=5000', {
  url: `${base}/api/jobs?state=submitted&channel=news&limit=50&before=5000`,
});
const photo = await sharp(join(import.meta.dirname, '../../samples/rocket.jpg'))
  .resize(1730, 1153, { fit: 'fill' })
  .jpeg({ quality: 90 })
  .toBuffer();
const upload = await run(`upload      POST /api/jobs (2 MP JPEG, ${(photo.length / 1e6).toFixed(1)} MB)`, {
  url: `${base}/api/jobs?channel=news&name=bench.jpg`,
  method: 'POST',
  connections: 4,
  headers: { ...headers, 'content-type': 'image/jpeg' },
  body: photo,
});

server.kill('SIGTERM');
const hb = await new Promise<{ beats: number; maxLateMs: number; lateOverHalf: number }>((resolve) => {
  server.on('exit', () => {
    const line = out.trim().split('\n').at(-1) ?? '{}';
    resolve(JSON.parse(line) as { beats: number; maxLateMs: number; lateOverHalf: number });
  });
});
await rm(dir, { recursive: true, force: true });

const ok = (b: boolean) => (b ? 'meets' : 'MISSES');
console.log('\nfigure                      measured            goal');
console.log(
  `job status req/s            ${String(Math.round(status.requests.average)).padEnd(20)}>= 5000   ${ok(status.requests.average >= 5000)}`,
);
console.log(
  `job status p99              ${`${status.latency.p99} ms`.padEnd(20)}<= 20 ms  ${ok(status.latency.p99 <= 20)}`,
);
console.log(
  `job list req/s, p99         ${`${Math.round(list.requests.average)}, ${list.latency.p99} ms`.padEnd(20)}(no goal)`,
);
console.log(
  `job list filtered req/s, p99 ${`${Math.round(filtered.requests.average)}, ${filtered.latency.p99} ms`.padEnd(19)}(no goal)`,
);
console.log(
  `2 MP uploads req/s, p99     ${`${upload.requests.average.toFixed(1)}, ${upload.latency.p99} ms`.padEnd(20)}(no goal)`,
);
console.log(
  `heartbeats (every ${HEARTBEAT_MS} ms)    ${`${hb.beats} beats, max ${Math.round(hb.maxLateMs)} ms late`.padEnd(20)} none later than ${HEARTBEAT_MS / 2} ms   ${ok(hb.lateOverHalf === 0)}`,
);
