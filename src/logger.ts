// The process logger (pino): one child per component; never log secrets. pino (~40 modules) is
// loaded and the logger made only when a line at an enabled level is first written (or a
// property the stand-in does not know is read): a command that logs nothing (`darkroom log
// note`) does not pay for it. Writes stay synchronous to stderr, as before.
import { createRequire } from 'node:module';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger };

type Pino = typeof import('pino');

let loaded: Pino | undefined;
/** pino, loaded on first use (synchronously: it is CommonJS). */
function pinoModule(): Pino {
  loaded ??= createRequire(import.meta.url)('pino') as Pino;
  return loaded;
}

/** pino's level numbers (its defaults; darkroom defines no custom levels). */
const levelValues: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

function levelValue(level: string): number {
  const v = Object.hasOwn(levelValues, level) ? levelValues[level] : undefined;
  if (v === undefined)
    throw new Error(`unknown log level "${level}" (${Object.keys(levelValues).join(', ')})`);
  return v;
}

const noop = (): void => undefined;

/**
 * A stand-in with the Logger's shape that makes the real pino logger (`make`) the first time it
 * must: a line at an enabled level, a setter, or any property but the level, `isLevelEnabled`
 * and `child`. A line below the level is dropped without loading pino (pino drops it too). A
 * child of a stand-in is a stand-in; made later, it gets the level its parent had when it was
 * asked for, as pino's own children do.
 */
function lazyLogger(level: string, make: () => Logger): Logger {
  const threshold = levelValue(level);
  let real: Logger | undefined;
  const materialize = (): Logger => (real ??= make());
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(Object.create(null) as Logger, {
    get(_, prop) {
      if (real === undefined) {
        if (prop === 'level') return level;
        if (prop === 'isLevelEnabled') return (l: string) => levelValue(l) >= threshold;
        if (prop === 'child')
          return (bindings: Record<string, unknown>, options: { level?: string } = {}) => {
            const childLevel = options.level ?? level;
            return lazyLogger(childLevel, () =>
              materialize().child(bindings, { ...options, level: childLevel }),
            );
          };
        if (
          typeof prop === 'string' &&
          Object.hasOwn(levelValues, prop) &&
          prop !== 'silent' &&
          levelValue(prop) < threshold
        )
          return noop;
      }
      const r = materialize();
      const v: unknown = Reflect.get(r, prop, r);
      if (typeof v !== 'function') return v;
      let f = bound.get(prop);
      if (f === undefined) {
        f = (v as (...a: unknown[]) => unknown).bind(r);
        bound.set(prop, f);
      }
      return f;
    },
    set(_, prop, value) {
      return Reflect.set(materialize(), prop, value);
    },
    has(_, prop) {
      return Reflect.has(materialize(), prop);
    },
  });
}

export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env['DARKROOM_LOG_LEVEL'] ?? 'info';
  if (options.pretty ?? process.stdout.isTTY) {
    return lazyLogger(level, () =>
      pinoModule().pino({ level, transport: { target: 'pino-pretty', options: { destination: 2 } } }),
    );
  }
  // Synchronous writes: pino's default writes through libuv's thread pool, which hung drive calls
  // fill, so an instance whose drive stalls could not even log that it is stalled.
  return lazyLogger(level, () => {
    const p = pinoModule();
    return p.pino({ level } satisfies LoggerOptions, p.destination({ dest: 2, sync: true }));
  });
}

/** A logger that drops everything (tests, library use); never loads pino unless asked for more. */
export const silentLogger: Logger = lazyLogger('silent', () => pinoModule().pino({ level: 'silent' }));

/** Whether pino has been loaded by this module (for tests of the lazy loading). */
export function pinoLoaded(): boolean {
  return loaded !== undefined;
}
