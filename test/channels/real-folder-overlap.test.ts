// channel add/set refuse folders that overlap once symlinks are resolved (issue 14, item 4):
// the decider compares folders as written; appendChannelDecision compares where they lead.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { initLog } from '../../src/events/log-init.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-realoverlap-'));
  await initLog(dir);
  await mkdir(join(dir, 'hot/in'), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'darkroom', ...args, '--shared', dir], {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
  });
  return { code, out, err };
}

describe('channel add/set with folders that are the same place through a symlink', () => {
  it('an output folder that is a symlink to the input folder is refused with E_SETTINGS_INVALID naming both', async () => {
    await symlink(join(dir, 'hot/in'), join(dir, 'outlink'));
    const r = await cli(
      'channel',
      'add',
      'loop',
      '--type',
      'process',
      '--input',
      'hot/in',
      '--output',
      'outlink',
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('E_SETTINGS_INVALID');
    expect(r.err).toMatch(
      /inputDir \(.*hot\/in, really .*\) and outputDir \(.*outlink, really .*hot\/in\) overlap/,
    );
    expect((await cli('channel', 'list', '--json')).out).toContain('"channels":[]');
  });

  it('a bad folder inside the input folder through a symlinked parent is refused; separate real folders are accepted', async () => {
    await symlink(join(dir, 'hot'), join(dir, 'hotlink'));
    const bad = await cli(
      'channel',
      'add',
      'news',
      '--type',
      'process',
      '--input',
      'hot/in',
      '--output',
      'out/news',
      '--bad',
      'hotlink/in/bad',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/badDir .* overlap once symlinks are resolved/);
    const ok = await cli(
      'channel',
      'add',
      'news',
      '--type',
      'process',
      '--input',
      'hotlink/in',
      '--output',
      'out/news',
      '--bad',
      'hot/bad',
    );
    expect(ok.code, ok.err).toBe(0);
    // An edit that makes them meet through the link is refused too.
    const set = await cli('channel', 'set', 'news', '--output', 'hot/in/out');
    expect(set.code).not.toBe(0);
    expect(set.err).toContain('E_SETTINGS_INVALID');
  });
});
