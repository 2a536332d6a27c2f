// The parts of an instance (log, mesh, join, failure detector, coordinator, worker, HTTP) and the
// sequence that starts them in order and stops them in reverse: a stop asked for while starting is
// honoured after every await, and only the parts whose start completed are stopped.
import { asDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';

/**
 * One part of an instance. `start` may be aborted through `signal` (a stop was asked for); the
 * instance checks the signal after it returns too. `stop` is called only for parts whose start
 * completed, in reverse order, each even when an earlier one failed.
 */
export interface Part {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
  stop(options: { readonly force: boolean }): Promise<void>;
  /**
   * Called at once when a stop is asked for, before the instance drains (HTTP answers 503
   * E_INSTANCE_STOPPING from then on), for the parts started and the one being started.
   */
  beginStop?(): void;
}

/** The parts of one instance, in start order; not reusable once stopped. */
export class PartSequence {
  readonly #parts: readonly Part[];
  readonly #started: Part[] = [];
  #startingPart: Part | undefined;

  constructor(parts: readonly Part[]) {
    this.#parts = parts;
  }

  /**
   * Starts the parts in order until `signal` aborts. Resolves true once all started, false when a
   * stop was asked for meanwhile; when a part fails, stops the parts already started (forced) and
   * rethrows.
   */
  async start(
    signal: AbortSignal,
    logger: Logger,
    onFault: (err: unknown, where: string) => void,
  ): Promise<boolean> {
    for (const part of this.#parts) {
      if (signal.aborted) return false;
      this.#startingPart = part;
      try {
        await part.start(signal);
      } catch (err) {
        if (signal.aborted) return false;
        logger.error({ part: part.name, err: asDarkroomError(err).message }, 'start failed');
        await this.stop(true, onFault);
        throw err;
      }
      this.#started.push(part);
    }
    this.#startingPart = undefined;
    return !signal.aborted;
  }

  /** Tells the parts started and the one being started that a stop is coming. */
  beginStop(): void {
    const told = new Set([...this.#started, ...(this.#startingPart ? [this.#startingPart] : [])]);
    for (const part of told) part.beginStop?.();
  }

  /** Stops the started parts in reverse, each even when an earlier one failed (reported to `onFault`). */
  async stop(force: boolean, onFault: (err: unknown, where: string) => void): Promise<void> {
    for (const part of this.#started.splice(0).reverse()) {
      try {
        await part.stop({ force });
      } catch (err) {
        onFault(err, `stop: ${part.name}`);
      }
    }
  }
}
