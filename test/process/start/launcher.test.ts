// `npm start` (scripts/start.ts) as a user runs it: two real instances over one folder, a readable
// line per finished job, Ctrl-C (SIGINT) stops both cleanly, a SIGKILLed launcher leaves no
// instance behind (the lifeline pipe), and a second run reuses the folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRecords, repoRoot, waitFor } from '../../fixtures/instance-drive.js';

interface Launcher {
  readonly child: ChildProcess;
  output: () => string;
  readonly exited: Promise<number | string>;
}

function launch(dir: string, port: number): Launcher {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', '--dir', dir, '--port', String(port)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((res) =>
    child.on('exit', (code, sig) => res(code ?? sig ?? -1)),
  );
  return { child, output: () => text, exited };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A base port N with N, N+1, N+10 and N+11 free on loopback (learned by binding port 0). */
async function freeBase(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    if (p > 0 && p < 65_000 && (await Promise.all([1, 10, 11].map((d) => portFree(p + d)))).every(Boolean))
      return p;
  }
}

function pidsOf(text: string): number[] {
  return [...text.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const photos = [
  'astronaut.jpg',
  'bliznaca.jpg',
  'chelsea.jpg',
  'coffee.jpg',
  'motorcycle_left.jpg',
  'rocket.jpg',
];
let dir: string;
let base: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-start-'));
  base = await freeBase();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start: the two-instance launcher', () => {
  it('runs two instances, prints the URLs, the login and a line per finished job; SIGINT stops both', async () => {
    const l = launch(dir, base);
    const pids = await waitFor(
      'both instances started',
      () => {
        const p = pidsOf(l.output());
        return p.length === 2 ? p : undefined;
      },
      60_000,
      l.output,
    );
    await waitFor(
      'the URLs and the first login',
      () => /first login: admin \/ \S+/.test(l.output()),
      90_000,
      l.output,
    );
    expect(l.output()).toContain(`http://127.0.0.1:${base + 1}/`);
    expect(l.output()).toContain(`http://127.0.0.1:${base + 11}/`);
    // One line per job: every photo done on one of the instances, the broken file failed.
    const jobLine = (file: string) =>
      new RegExp(
        `demo/${file.replace('.', '\\.')}\\s+(press1|press2)\\s+[\\d.]+ s\\s+(done|waits for review)`,
      );
    await waitFor(
      'a line for every photo',
      () => photos.every((p) => jobLine(p).test(l.output())),
      120_000,
      l.output,
    );
    await waitFor(
      'the broken file failed',
      () => /demo\/truncated\.jpg\s+press\d\s+.*FAILED E_/.test(l.output()),
      60_000,
      l.output,
    );
    expect(l.output()).not.toMatch(/"level":/); // no raw JSON log lines on the terminal
    expect(pids.every(alive)).toBe(true);

    l.child.kill('SIGINT');
    expect(await l.exited).toBe(0);
    expect(pids.some(alive)).toBe(false);
    expect(l.output()).toContain('both instances stopped');
    const records = await allRecords(join(dir, 'shared'));
    const stopped = records.filter((r) => r.type === 'InstanceStopped').map((r) => r.by);
    expect(stopped.sort()).toEqual(['press1', 'press2']);
  });

  it('a second run reuses the folder; a SIGKILLed launcher leaves no instance behind', async () => {
    const l = launch(dir, base);
    const pids = await waitFor(
      'both instances started',
      () => {
        const p = pidsOf(l.output());
        return p.length === 2 ? p : undefined;
      },
      60_000,
      l.output,
    );
    expect(l.output()).toContain('reusing');
    await waitFor(
      'both running',
      () => (l.output().match(/: running \(inc/g) ?? []).length === 2,
      60_000,
      l.output,
    );
    l.child.kill('SIGKILL');
    await l.exited;
    await waitFor('both instances gone', () => !pids.some(alive), 60_000, l.output);
    const records = await allRecords(join(dir, 'shared'));
    // Each stopped by its own drain (InstanceStopped), not killed: two from the first run, two now.
    expect(records.filter((r) => r.type === 'InstanceStopped')).toHaveLength(4);
  });
});
