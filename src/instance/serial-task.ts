// A task that runs one at a time however often it is kicked: a kick while it runs makes it run
// once more afterwards. Used for "re-decide after every applied batch" loops.

export class SerialTask {
  readonly #run: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(run: () => Promise<void>, onError: (err: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
  }

  kick(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        try {
          await this.#run();
        } catch (err) {
          this.#onError(err);
        }
      } while (this.#again && !this.#closed);
    } finally {
      this.#running = undefined;
    }
  }

  /** Stops further runs; resolves when the current run (if any) has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }
}
