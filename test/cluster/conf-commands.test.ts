// `darkroom conf init|check`: the written conf round-trips through loadConf; overwrite is refused.
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConf } from '../../src/cluster/conf.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'darkroom', ...args], {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
  });
  return { code, out, err };
}

describe('darkroom conf init', () => {
  it('writes a conf that loadConf reads back, with a fresh 64-hex-digit secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-confinit-'));
    const file = join(dir, 'ClaroServers.conf');
    const args = ['conf', 'init', '--out', file, '--shared', 'drive'];
    const r = await run([...args, '--server', 'a@127.0.0.1:7900:7901', '--server', 'b@127.0.0.1:7910:7911']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const conf = await loadConf(file);
    expect(conf.servers.map((s) => `${s.name}:${s.clusterPort}:${s.httpPort}`)).toEqual([
      'a:7900:7901',
      'b:7910:7911',
    ]);
    expect(conf.sharedDir).toBe(join(dir, 'drive'));
    expect(conf.secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const again = await run([...args, '--server', 'a@127.0.0.1:7900:7901']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists already; pass --force/);
    expect((await loadConf(file)).secret).toBe(conf.secret);

    const forced = await run([...args, '--server', 'a@127.0.0.1:7900:7901', '--force']);
    expect(forced.code).toBe(0);
    expect((await loadConf(file)).secret).not.toBe(conf.secret);
  });

  it('writes the secret to a separate file with --secret-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-confinit-'));
    const file = join(dir, 'c.conf');
    const r = await run([
      'conf',
      'init',
      '--out',
      file,
      '--shared',
      dir,
      '--server',
      'x@h',
      '--secret-file',
      's.key',
    ]);
    expect(r.code).toBe(0);
    const conf = await loadConf(file);
    expect(conf.secret).toBe((await readFile(join(dir, 's.key'), 'utf8')).trim());
    expect(await readFile(file, 'utf8')).not.toContain(conf.secret);
  });

  it('refuses a bad --server entry and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-confinit-'));
    const file = join(dir, 'c.conf');
    const r = await run(['conf', 'init', '--out', file, '--shared', dir, '--server', 'x@h:79o0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/E_USAGE: conf init: port "79o0" is not a number/);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('darkroom conf check', () => {
  it('prints the parsed conf with the secret masked, and names a bad line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-confcheck-'));
    const file = join(dir, 'c.conf');
    await run(['conf', 'init', '--out', file, '--shared', dir, '--server', 'x@h:7900:7901']);
    const { secret } = await loadConf(file);
    const ok = await run(['conf', 'check', '--conf', file, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain(secret);
    expect(JSON.parse(ok.out)).toMatchObject({ sharedDir: dir, servers: [{ name: 'x', clusterPort: 7900 }] });
    const human = await run(['conf', 'check', '--conf', file]);
    expect(human.out).toMatch(/x\s+h\s+cluster 7900\s+http 7901/);
    expect(human.out).not.toContain(secret);

    const bad = await run(['conf', 'check', '--conf', join(dir, 'missing.conf')]);
    expect(bad.code).toBe(78);
    expect(bad.err).toMatch(/E_CONF_UNREADABLE: cannot read .*missing\.conf: no such file/);
  });
});
