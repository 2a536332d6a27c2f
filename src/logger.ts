// The process logger (pino): one child per component; never log secrets.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env['DARKROOM_LOG_LEVEL'] ?? 'info';
  if (options.pretty ?? process.stdout.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  }
  // Synchronous writes: pino's default writes through libuv's thread pool, which hung drive calls
  // fill, so an instance whose drive stalls could not even log that it is stalled.
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
