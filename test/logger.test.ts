// The process logger: pino is loaded only when a line at an enabled level is written, and the
// lines then written are pino's own, synchronously to stderr (a child process shows them).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, pinoLoaded, silentLogger } from '../src/logger.js';

const builtLogger = fileURLToPath(new URL('../dist/logger.js', import.meta.url));

function withoutLevel(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy['DARKROOM_LOG_LEVEL'];
  return copy;
}

/** Runs `body` in a fresh node with `m` = dist/logger.js; returns its stderr lines as JSON. */
function inChild(
  body: string,
  env: Record<string, string> = {},
): { lines: Record<string, unknown>[]; stdout: string } {
  const script = `import(${JSON.stringify(builtLogger)}).then((m) => { ${body} });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...withoutLevel(process.env), ...env },
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, stdout: r.stdout };
}

describe('createLogger before anything is logged', () => {
  it('does not load pino for lines below its level, children, level checks', () => {
    const log = createLogger({ level: 'warn', pretty: false });
    const child = log.child({ component: 'event-log' }).child({ seq: 3 });
    child.info('dropped');
    child.debug({ a: 1 }, 'dropped');
    log.trace('dropped');
    expect(child.level).toBe('warn');
    expect(child.isLevelEnabled('error')).toBe(true);
    expect(child.isLevelEnabled('info')).toBe(false);
    silentLogger.child({ component: 'x' }).error('dropped');
    expect(silentLogger.isLevelEnabled('fatal')).toBe(false);
    expect(pinoLoaded()).toBe(false);
  });
});

describe('createLogger writing', () => {
  it('writes pino lines with the bindings of each child, synchronously, even right before exit', () => {
    const { lines, stdout } = inChild(
      `const log = m.createLogger({ level: 'info', pretty: false });
       const c = log.child({ component: 'worker' });
       c.debug('below the level');
       console.log(m.pinoLoaded());
       c.info({ jobId: 'j1' }, 'job done');
       console.log(m.pinoLoaded());
       log.warn('bare');
       process.exit(0);`,
    );
    expect(stdout.trim().split('\n')).toEqual(['false', 'true']);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, component: 'worker', jobId: 'j1', msg: 'job done' });
    expect(typeof lines[0]!['time']).toBe('number');
    expect(lines[1]).toMatchObject({ level: 40, msg: 'bare' });
    expect(lines[1]).not.toHaveProperty('component');
  });

  it('takes DARKROOM_LOG_LEVEL, and a child keeps the level its parent had when it was made', () => {
    const { lines } = inChild(
      `const log = m.createLogger({ pretty: false });
       const early = log.child({ component: 'early' });
       log.level = 'error';
       early.debug('kept: made while the level was debug');
       log.child({ component: 'late' }).warn('dropped: made after the level was raised');
       log.error('kept');`,
      { DARKROOM_LOG_LEVEL: 'debug' },
    );
    expect(lines.map((l) => [l['component'], l['msg']])).toEqual([
      ['early', 'kept: made while the level was debug'],
      [undefined, 'kept'],
    ]);
  });

  it('refuses an unknown level by name', () => {
    expect(() => createLogger({ level: 'loud', pretty: false })).toThrow(/unknown log level "loud"/);
  });
});
