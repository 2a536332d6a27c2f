// `npm start`: a live two-instance darkroom cluster on this machine over a shared folder under
// demo/cluster/, a channel "demo" with the sample photos in its hotfolder, one readable line per
// finished job, and a clean stop of both instances on Ctrl-C. Re-runnable (docs/web-ui.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConf, type ServerEntry } from '../src/cluster/conf.js';
import { LogCursor } from '../src/events/log-cursor.js';
import { JobLines } from './start/job-lines.js';

const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'bin/darkroom.js');
const lifeline = join(repo, 'scripts/start/lifeline.js');

const { values: opts } = parseArgs({
  options: {
    dir: { type: 'string', default: process.env['DARKROOM_START_DIR'] ?? join(repo, 'demo/cluster') },
    port: { type: 'string', default: process.env['DARKROOM_START_PORT'] ?? '7900' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`npm start [-- --dir DIR] [-- --port N]
  a two-instance darkroom cluster on this machine (Ctrl-C stops both)
  --dir DIR   its folder (default demo/cluster; env DARKROOM_START_DIR); reused when it exists
  --port N    first port (default 7900; env DARKROOM_START_PORT): press1 cluster N, HTTP N+1;
              press2 cluster N+10, HTTP N+11 (only when the folder is new: an existing conf wins)`);
  process.exit(0);
}

const dir = resolve(opts.dir);
const base = Number(opts.port);
if (!Number.isInteger(base) || base < 1 || base > 65_000) {
  console.error(`--port must be a port number, got "${opts.port}"`);
  process.exit(2);
}
const confFile = join(dir, 'ClaroServers.conf');
const shared = join(dir, 'shared');
const logsDir = join(dir, 'logs');
const passwordFile = join(dir, 'admin-password');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Runs the darkroom CLI to completion; throws with its output when it fails. */
async function darkroom(args: readonly string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo,
      env: { ...process.env, DARKROOM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', rej);
    child.on('close', (code) =>
      code === 0 ? res(out) : rej(new Error(`darkroom ${args.join(' ')} failed:\n${out}`)),
    );
  });
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

async function prepare(): Promise<{ servers: readonly ServerEntry[]; password: string }> {
  await mkdir(shared, { recursive: true });
  await mkdir(logsDir, { recursive: true });
  if (await exists(confFile)) say(`reusing ${confFile}`);
  else {
    await darkroom([
      'conf',
      'init',
      '--out',
      confFile,
      '--shared',
      shared,
      '--server',
      `press1@127.0.0.1:${base}:${base + 1}`,
      '--server',
      `press2@127.0.0.1:${base + 10}:${base + 11}`,
    ]);
    // A quick rescan and drain keep the demo snappy.
    await appendFile(confFile, 'hotfolderRescanMs = 1000\ndrainTimeoutMs = 10000\n');
  }
  const conf = await loadConf(confFile);
  let password: string;
  if (await exists(passwordFile)) password = (await readFile(passwordFile, 'utf8')).trim();
  else {
    password = randomBytes(9).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const shown = await darkroom(['channel', 'show', 'demo', '--conf', confFile]).then(
    () => true,
    () => false,
  );
  if (!shown) {
    await darkroom([
      'channel',
      'add',
      'demo',
      '--conf',
      confFile,
      '--type',
      'process',
      '--set',
      'fileReadyDelayMs=1000',
      '--set',
      'workflow=rejected-to-review',
    ]);
    say('channel demo created (hotfolder shared/hotfolders/demo/in)');
  }
  const inDir = join(shared, 'hotfolders/demo/in');
  await mkdir(inDir, { recursive: true });
  const photos = (await readdir(join(repo, 'demo-assets'))).filter((n) => n.endsWith('.jpg'));
  for (const p of photos) await copyFile(join(repo, 'demo-assets', p), join(inDir, p));
  // One broken file shows the bad folder and retry in the Inspector.
  await copyFile(join(repo, 'samples/truncated.jpg'), join(inDir, 'truncated.jpg'));
  say(`copied ${photos.length} sample photos and one broken file into ${inDir}`);
  return { servers: conf.servers, password };
}

interface Running {
  readonly entry: ServerEntry;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly log: WriteStream;
  alive: boolean;
  sawRunning: boolean;
}

/** Instance log lines worth a readable line on the terminal (the rest stays in logs/NAME.log). */
function readable(name: string, line: string): string | undefined {
  if (!line.startsWith('{')) return line.trim() === '' ? undefined : `${name}: ${line.trim()}`;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${name}: ${line}`;
  }
  const level = typeof j['level'] === 'number' ? j['level'] : 30;
  const msg = typeof j['msg'] === 'string' ? j['msg'] : '';
  const detail = [j['code'], j['err'], j['reason']].filter((x) => typeof x === 'string').join(' ');
  if (level >= 40)
    return `${name} ${level >= 50 ? 'ERROR' : 'warning'}: ${msg}${detail ? ` (${detail})` : ''}`;
  if (/coordinator|admin|http listening/i.test(msg)) return `${name}: ${msg}`;
  return undefined;
}

function startInstance(entry: ServerEntry, password: string): Running {
  // Own process group: a terminal's Ctrl-C reaches only the launcher, which then sends each
  // instance exactly one SIGTERM (a second signal would force the drain). fd 3 is the lifeline.
  const child = spawn(
    process.execPath,
    ['--import', lifeline, bin, 'start', '--conf', confFile, '--id', entry.name],
    {
      cwd: repo,
      detached: true,
      env: { ...process.env, DARKROOM_LOG_LEVEL: 'info', DARKROOM_ADMIN_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(join(logsDir, `${entry.name}.log`), { flags: 'a' });
  const r: Running = {
    entry,
    child,
    log,
    alive: true,
    sawRunning: false,
    exited: new Promise((res) =>
      child.on('exit', (code, signal) => {
        r.alive = false;
        say(`${entry.name}: exited (${signal ?? `code ${code}`})`);
        log.end(() => res());
      }),
    ),
  };
  let partial = '';
  const onData = (d: Buffer): void => {
    log.write(d);
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes(`darkroom ${entry.name}: running`)) r.sawRunning = true;
      const shown = readable(entry.name, line);
      if (shown !== undefined) say(shown);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  say(`${entry.name}: started (pid ${child.pid}), log in ${join(logsDir, `${entry.name}.log`)}`);
  return r;
}

/** The last seq of the log now (0 when empty). */
async function logTip(): Promise<number> {
  const cursor = new LogCursor(join(shared, 'log'), 1, '');
  await cursor.refreshSegments();
  while ((await cursor.readNext()).kind === 'records');
  return cursor.next - 1;
}

/** Follows the log from seq 1 and prints a line for each job finished after seq `after`. */
async function followJobs(after: number, stop: AbortSignal): Promise<void> {
  const cursor = new LogCursor(join(shared, 'log'), 1, '');
  const lines = new JobLines();
  say(
    `\n${'time'.padEnd(8)}  ${'channel/file'.padEnd(28)}  ${'on'.padEnd(7)}  ${'took'.padStart(7)}  result`,
  );
  while (!stop.aborted) {
    try {
      await cursor.refreshSegments();
      for (;;) {
        const step = await cursor.readNext();
        if (step.kind !== 'records') break;
        for (const e of step.entries) {
          const line = lines.next(e.record);
          if (line !== undefined && e.record.seq > after) say(line);
        }
      }
    } catch (err) {
      say(`reading the log failed: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Waits for the instance's "running" line (its start done, HTTP included), then for /readyz. */
async function waitReady(r: Running, deadlineMs: number): Promise<boolean> {
  const pause = (): Promise<void> => new Promise((res) => setTimeout(res, 200));
  while (!r.sawRunning && r.alive && performance.now() < deadlineMs) await pause();
  const url = `http://127.0.0.1:${r.entry.httpPort}/readyz`;
  const until = Math.min(deadlineMs, performance.now() + 5000);
  while (r.alive && performance.now() < until) {
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return true;
    await pause();
  }
  return false;
}

async function main(): Promise<number> {
  const { servers, password } = await prepare();
  const after = await logTip();
  const running = servers.map((s) => startInstance(s, password));
  const stopFollowing = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    say(
      signals === 1
        ? `\n${signal}: stopping ${running.map((r) => r.entry.name).join(' and ')} (they finish or release their jobs; Ctrl-C again forces)`
        : `${signal}: forcing the stop`,
    );
    for (const r of running) if (r.alive) r.child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const deadline = performance.now() + 60_000;
  const ready = await Promise.all(running.map((r) => waitReady(r, deadline)));
  if (signals === 0) {
    say('');
    for (const [i, r] of running.entries()) {
      const url = `http://127.0.0.1:${r.entry.httpPort}/`;
      say(`${r.entry.name}  ${url}${ready[i] ? '' : '  (not answering yet: see its log)'}`);
    }
    say(`first login: admin / ${password}   (stored in ${passwordFile})`);
    say(`drop photos into ${join(shared, 'hotfolders/demo/in')}; Ctrl-C stops the cluster`);
  }
  const following = followJobs(after, stopFollowing.signal);
  await Promise.all(running.map((r) => r.exited));
  stopFollowing.abort();
  await following;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const clean = running.every((r) => r.child.exitCode === 0);
  say(clean ? 'both instances stopped' : 'the cluster stopped (see the logs above)');
  return signals > 0 && clean ? 0 : 1;
}

process.exitCode = await main();
