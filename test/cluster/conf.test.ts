// ClaroServers.conf parsing: a good file, every kind of bad line named by its line, self resolution.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { confKeyNames } from '../../src/cluster/conf-schema.js';
import { loadConf, parseConf, resolveSelf, type ClusterConf } from '../../src/cluster/conf.js';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';

const secret = 'a'.repeat(64);
const good = `# the cluster
shared = ./drive
clusterPort = 7900
server = press1@press1.example.com            # default ports
server = press2@10.0.0.2:7910:7911
server = local@127.0.0.1:7920:7921
secret = ${secret}
slots = 3
pollHotfolders = yes
failureTimeoutMs = 4000
`;

function errorOf(text: string): { code: string; message: string; line: unknown } {
  try {
    parseConf(text, 'ClaroServers.conf');
  } catch (err) {
    if (isDarkroomError(err)) return { code: err.code, message: err.message, line: err.fields['line'] };
    throw err;
  }
  throw new Error('expected an error');
}

describe('parseConf on a good file', () => {
  const conf = parseConf(good, '/etc/darkroom/ClaroServers.conf');

  it('reads servers with their default and explicit ports', () => {
    expect(
      conf.servers.map(({ name, host, clusterPort, httpPort, line }) => ({
        name,
        host,
        clusterPort,
        httpPort,
        line,
      })),
    ).toEqual([
      { name: 'press1', host: 'press1.example.com', clusterPort: 7900, httpPort: 7901, line: 4 },
      { name: 'press2', host: '10.0.0.2', clusterPort: 7910, httpPort: 7911, line: 5 },
      { name: 'local', host: '127.0.0.1', clusterPort: 7920, httpPort: 7921, line: 6 },
    ]);
  });

  it('resolves a relative shared path against the conf folder and applies defaults', () => {
    expect(conf.sharedDir).toBe('/etc/darkroom/drive');
    expect(conf.secret).toBe(secret);
    expect(conf.slots).toBe(3);
    expect(conf.pollHotfolders).toBe(true);
    expect(conf.failureTimeoutMs).toBe(4000);
    expect(conf.drainTimeoutMs).toBe(30000);
    expect(conf.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is frozen, servers included', () => {
    expect(Object.isFrozen(conf)).toBe(true);
    expect(Object.isFrozen(conf.servers[0])).toBe(true);
  });

  it('hashes the text: one changed byte changes the hash', () => {
    expect(parseConf(`${good} `, '/x/c.conf').hash).not.toBe(conf.hash);
  });
});

describe('parseConf on a bad line', () => {
  const base = `shared = /d\nserver = a@h:7900:7901\nsecret = ${secret}\n`;
  const cases: [string, string, RegExp][] = [
    ['a port that is not a number', 'server = b@h2:79o0:7901', /line 4: port "79o0" is not a number/],
    [
      'an http port out of range',
      'server = b@h2:7900:70000',
      /line 4: server "b@h2:7900:70000": httpPort must be between/,
    ],
    ['a line without "="', 'clusterPort 7900', /line 4: expected "key = value", found "clusterPort 7900"/],
    [
      'an unknown key',
      'clusterport = 7900',
      /line 4: unknown key "clusterport" \(did you mean "clusterPort"\?\)/,
    ],
    ['a key given twice', 'shared = /e', /line 4: shared is given again \(first on line 1\)/],
    ['a key without value', 'slots =', /line 4: slots has no value/],
    ['a bad boolean', 'pollHotfolders = maybe', /line 4: pollHotfolders "maybe" is not true or false/],
    ['a number below its minimum', 'slots = 0', /line 4: slots "0" must be at least 1/],
    [
      'a duplicate server name',
      'server = a@h2:7910:7911',
      /line 4: server name "a" is used again \(first on line 2\)/,
    ],
    [
      'a port used twice on one host',
      'server = b@h:7901:7902',
      /line 4: h:7901 is already used by the server on line 2/,
    ],
  ];
  it.each(cases)('names the line: %s', (_what, line, message) => {
    const e = errorOf(`${base}${line}\n`);
    expect(e.code).toBe('E_CONF_SYNTAX');
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/^ClaroServers\.conf line 4: /);
    expect(e.message).toMatch(message);
  });

  it('refuses a file without servers, shared drive or secret (E_CONF_INVALID)', () => {
    expect(errorOf(`shared = /d\nsecret = ${secret}\n`).message).toMatch(/no "server =" line/);
    expect(errorOf(`server = a@h\nsecret = ${secret}\n`).message).toMatch(/missing "shared = PATH"/);
    expect(errorOf(`server = a@h\nshared = /d\n`)).toMatchObject({ code: 'E_CONF_INVALID' });
    expect(errorOf(`${base}secretFile = s\n`).message).toMatch(
      /either secret \(line 3\) or secretFile \(line 4\)/,
    );
  });

  it('refuses timings that contradict each other', () => {
    expect(errorOf(`${base}lockStaleMs = 600\nlockUpdateMs = 500\n`).message).toMatch(
      /lockStaleMs \(600\) must be at least twice/,
    );
  });
});

describe('loadConf', () => {
  it('reads a secretFile relative to the conf folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-conf-'));
    await writeFile(join(dir, 'cluster.secret'), `${'s'.repeat(40)}\n`);
    await writeFile(
      join(dir, 'ClaroServers.conf'),
      'shared = drive\nserver = a@h\nsecretFile = cluster.secret\n',
    );
    const conf = await loadConf(join(dir, 'ClaroServers.conf'));
    expect(conf.secret).toBe('s'.repeat(40));
    expect(conf.secretFile).toBe(join(dir, 'cluster.secret'));
    expect(conf.sharedDir).toBe(join(dir, 'drive'));
  });

  it('names a missing file (E_CONF_UNREADABLE)', async () => {
    await expect(loadConf('/nonexistent/ClaroServers.conf')).rejects.toMatchObject({
      code: 'E_CONF_UNREADABLE',
      message: 'cannot read /nonexistent/ClaroServers.conf: no such file',
    });
  });

  it('parses the shipped example', async () => {
    const text = await readFile(new URL('../../conf/ClaroServers.conf.example', import.meta.url), 'utf8');
    const conf = parseConf(text, 'ClaroServers.conf.example', { readFile: () => 'x'.repeat(64) });
    expect(conf.servers.map((s) => s.name)).toEqual(['press1', 'press2', 'press3']);
    for (const key of confKeyNames) expect(text).toMatch(new RegExp(`^#? ?${key} = `, 'm'));
  });
});

describe('resolveSelf', () => {
  const conf: ClusterConf = parseConf(good, '/c/ClaroServers.conf');
  const host = { hostname: 'press2', addresses: ['10.0.0.2', '127.0.0.1'] };

  it('picks the entry named by --id', () => {
    expect(resolveSelf(conf, 'local', host).name).toBe('local');
  });
  it('refuses an unknown --id, listing the names', () => {
    expect(() => resolveSelf(conf, 'nope', host)).toThrow(/--id nope \(servers: press1, press2, local\)/);
  });
  it('matches this host by name or address before loopback entries', () => {
    expect(resolveSelf(conf, undefined, host).name).toBe('press2');
    expect(resolveSelf(conf, undefined, { hostname: 'press1', addresses: ['10.0.0.1'] }).name).toBe('press1');
  });
  it('uses the loopback entry when it is the only match', () => {
    expect(resolveSelf(conf, undefined, { hostname: 'laptop', addresses: ['192.168.1.5'] }).name).toBe(
      'local',
    );
  });
  it('refuses several entries for this host (E_CONF_INSTANCE_AMBIGUOUS)', () => {
    const two = parseConf(
      `shared = /d\nserver = a@127.0.0.1:7900:7901\nserver = b@localhost:7910:7911\nsecret = ${secret}\n`,
      'c.conf',
    );
    expect(() => resolveSelf(two, undefined, { hostname: 'laptop', addresses: ['127.0.0.1'] })).toThrow(
      /several server entries match this host \(a, b\)/,
    );
  });
  it('names this host when nothing matches (E_CONF_NO_INSTANCE)', () => {
    const remote = parseConf(`shared = /d\nserver = a@h1\nserver = b@h2\nsecret = ${secret}\n`, 'c.conf');
    expect(() => resolveSelf(remote, undefined, { hostname: 'laptop', addresses: [] })).toThrow(
      /no server entry matches this host \(laptop; servers: a, b\)/,
    );
  });
});

describe('docs/configuration.md', () => {
  it('documents every key', async () => {
    const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const key of confKeyNames) expect(doc).toContain(`| \`${key}\` |`);
  });
});
