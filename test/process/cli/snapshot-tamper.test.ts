// A hand-edited or corrupt snapshot, seen through the real `darkroom` command (child processes
// on a temp drive, issue 14 item 2): `channel show` gives the replayed value and prints one
// named warning line per command (no stack), `log verify --snapshots` names the difference, and
// a fresh `log snapshot` ends the warnings.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { initLog } from '../../../src/events/log-init.js';
import { listSnapshots, snapshotsDir } from '../../../src/events/snapshot-store.js';

const exec = promisify(execFile);
const bin = join(import.meta.dirname, '../../../bin/darkroom.js');

interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function darkroom(...args: string[]): Promise<Exit> {
  try {
    const r = await exec(process.execPath, [bin, ...args, '--shared', shared], {
      env: { ...process.env, USER: 'ann' },
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** `channel show victim --json`: the exit, the channel's jpegQuality and the stderr lines. */
async function showQuality(): Promise<{ code: number; quality: unknown; stderr: string[] }> {
  const r = await darkroom('channel', 'show', 'victim', '--json');
  const parsed = JSON.parse(r.stdout) as {
    channel: { settings: { pipeline: { output: { jpegQuality: number } } } };
  };
  return {
    code: r.code,
    quality: parsed.channel.settings.pipeline.output.jpegQuality,
    stderr: lines(r.stderr),
  };
}

let shared: string;
beforeEach(async () => {
  // Set-up in this process (main(), as the in-process CLI tests do); the commands under test are
  // child processes.
  shared = await mkdtemp(join(tmpdir(), 'darkroom-snaptamper-'));
  await initLog(shared);
  const quiet = { out: () => undefined, err: () => undefined };
  const add = ['channel', 'add', 'victim', '--type', 'process', '--no-mkdir'];
  const quality = ['--set', 'pipeline.output.jpegQuality=90', '--shared', shared];
  expect(await main(['node', 'darkroom', ...add, ...quality], quiet)).toBe(0);
  expect(await main(['node', 'darkroom', 'log', 'snapshot', '--shared', shared], quiet)).toBe(0);
});
afterEach(async () => {
  await rm(shared, { recursive: true, force: true });
});

async function snapshotPath(): Promise<string> {
  const [snap] = await listSnapshots(shared);
  return join(snapshotsDir(shared), snap!.file);
}

describe('darkroom with an edited, then a corrupt snapshot on the drive (child processes)', () => {
  it('channel show gives the replayed jpegQuality 90, not the edited 10, with one warning line per command; a fresh snapshot ends the warnings', async () => {
    const file = await snapshotPath();
    await writeFile(file, (await readFile(file, 'utf8')).replace('"jpegQuality":90', '"jpegQuality":10'));
    {
      const r = await showQuality();
      expect(r.code).toBe(0);
      expect(r.quality).toBe(90);
      expect(r.stderr, r.stderr.join('\n')).toHaveLength(1);
      const warning = JSON.parse(r.stderr[0]!) as Record<string, unknown>;
      expect(warning).toMatchObject({ code: 'E_SNAPSHOT_DIGEST_MISMATCH', file: file.split('/').pop() });
      expect(r.stderr[0]).not.toMatch(/stack|\\n\s+at /);
    }
    const verify = await darkroom('log', 'verify', '--snapshots');
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('IGNORED, E_SNAPSHOT_DIGEST_MISMATCH');
    expect(verify.stderr).toContain('jpegQuality: snapshot 10, replay 90');

    // Corrupt: one E_SNAPSHOT_UNREADABLE line per command, never a stack trace.
    await writeFile(file, '{"seq": 1, oops');
    const list = await darkroom('channel', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/victim\s+process\s+active/);
    const err = lines(list.stderr);
    expect(err, list.stderr).toHaveLength(1);
    expect(JSON.parse(err[0]!)).toMatchObject({ code: 'E_SNAPSHOT_UNREADABLE', level: 40 });
    expect(list.stderr).not.toMatch(/SyntaxError|\n\s+at /);

    // `log snapshot` writes a good one (same seq: it replaces the bad file); no more warnings.
    expect((await darkroom('log', 'snapshot')).stdout).toMatch(
      /snapshot 000000000001-t0-[0-9a-f]{64}\.json written/,
    );
    expect(await showQuality()).toEqual({ code: 0, quality: 90, stderr: [] });
  });
});
