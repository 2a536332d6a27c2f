// What every command group gets: output streams and a way to report the exit code.
// Actions never call process.exit; they return an exit code through the context.
import type { Command } from 'commander';
import { asDarkroomError } from '../errors/darkroom-error.js';

export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  /** Records the command's exit code (the last one set wins). */
  setExit(code: number): void;
}

export type RegisterGroup = (program: Command, ctx: CliContext) => void;

/** Prints an error as `CODE: message` plus its fix line, and returns its exit code. */
export function reportError(ctx: CliContext, err: unknown, json = false): number {
  const e = asDarkroomError(err);
  if (json) ctx.err(JSON.stringify({ error: e.toJSON() }));
  else ctx.err(`${e.code}: ${e.message}\n  what to do: ${e.fix}`);
  if (e.code === 'E_INTERNAL' && err instanceof Error && err.stack) ctx.err(err.stack);
  return e.exit;
}

/** Wraps an async action: its returned number (or a thrown error) becomes the exit code. */
export function action<A extends unknown[]>(
  ctx: CliContext,
  run: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      ctx.setExit(await run(...args));
    } catch (err) {
      const last = args[args.length - 2] as { json?: boolean } | undefined;
      ctx.setExit(reportError(ctx, err, typeof last === 'object' && last !== null && last.json === true));
    }
  };
}
