// Smoke test of the real `darkroom` binary as a child process: add, list --json, and a refused
// edit exiting with the conflict's exit code and message on stderr.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempShared } from './cli-harness.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../../../bin/darkroom.js');

async function darkroomProcess(
  args: string[],
  user: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, USER: user },
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('darkroom channel (child process)', () => {
  it('adds, lists as JSON, and refuses a stale edit naming who changed the channel', async () => {
    const shared = await tempShared();
    const add = await darkroomProcess(
      [
        'channel',
        'add',
        'press',
        '--type',
        'process',
        '--input',
        'in/press',
        '--output',
        'out/press',
        '--shared',
        shared,
      ],
      'ann',
    );
    expect(add).toMatchObject({ code: 0, stderr: '' });
    const list = await darkroomProcess(['channel', 'list', '--json', '--shared', shared], 'ann');
    expect(JSON.parse(list.stdout)).toMatchObject({
      channels: [{ name: 'press', input: 'in/press', output: 'out/press', revision: 1 }],
    });
    expect(
      (await darkroomProcess(['channel', 'set', 'press', '--set', 'priority=60', '--shared', shared], 'bob'))
        .code,
    ).toBe(0);
    const stale = await darkroomProcess(
      ['channel', 'set', 'press', '--set', 'priority=70', '--revision', '1', '--shared', shared],
      'ann',
    );
    expect(stale.code).toBe(75);
    expect(stale.stderr).toMatch(
      /E_CHANNEL_CONFLICT: channel press was changed by cli:bob at \S+ \(revision 2, you edited 1\)/,
    );
  });
});
