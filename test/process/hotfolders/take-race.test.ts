// Two OS processes take the same hotfolder at once: every file is won by exactly one of them.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function runTaker(shared: string, input: string, who: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'taker.ts'), shared, input, who],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as string[]);
      else reject(new Error(`taker ${who} exited ${code}: ${err}`));
    });
  });
}

describe('takeFile raced by two processes', () => {
  it('each of 300 files is taken exactly once', async () => {
    const root = await mkdtemp(join(tmpdir(), 'darkroom-race-'));
    const shared = join(root, 'shared');
    const input = join(root, 'in');
    await mkdir(shared);
    await mkdir(input);
    const names = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(4, '0')}.jpg`);
    for (const n of names) await writeFile(join(input, n), n);
    const [a, b] = await Promise.all([runTaker(shared, input, 'a'), runTaker(shared, input, 'b')]);
    const all = [...a, ...b].sort();
    expect(all).toEqual(names);
    expect(await readdir(input)).toEqual([]);
    expect((await readdir(join(shared, 'work'))).length).toBe(300);
    process.stdout.write(`take race: process a won ${a.length}, process b won ${b.length}\n`);
  });
});
