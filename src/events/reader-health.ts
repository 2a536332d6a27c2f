// Whether one handle's reads of the log succeed: a view with attribute caching can show a batch
// late or short for a moment, so a failed read is retried (by the follower's next poll) and named
// in the log; one that keeps failing past a bound makes the handle "not following", which the
// instance reads to give up its lease and its fitness for elections.
import type { Clock } from '../clock.js';
import { isDarkroomError } from '../errors/darkroom-error.js';
import type { Logger } from '../logger.js';

interface Failing {
  readonly since: number;
  count: number;
  reported: boolean;
}

export class ReaderHealth {
  private failing: Failing | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Failures lasting this long (ms) mean the log cannot be followed, not a stale view. */
    private readonly boundMs: number,
  ) {}

  /** Runs one read of the log at `seq`, recording whether it failed; rethrows its error. */
  async track<T>(seq: () => number, read: () => Promise<T>): Promise<T> {
    try {
      const out = await read();
      if (this.failing !== undefined) {
        this.logger.info(
          { seq: seq(), failures: this.failing.count, ms: Math.round(this.clock.now() - this.failing.since) },
          'log reader: the log reads again',
        );
        this.failing = undefined;
      }
      return out;
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      this.failed(err, seq());
      throw err;
    }
  }

  /** How long (ms) this handle's reads have failed once that is past the bound; undefined while it follows. */
  notFollowingMs(): number | undefined {
    if (this.failing === undefined) return undefined;
    const ms = this.clock.now() - this.failing.since;
    return ms >= this.boundMs ? ms : undefined;
  }

  private failed(err: unknown, seq: number): void {
    const now = this.clock.now();
    const code = isDarkroomError(err) ? err.code : (err as NodeJS.ErrnoException).code;
    if (this.failing === undefined) {
      this.failing = { since: now, count: 1, reported: false };
      this.logger.warn(
        { code, err, seq },
        'log reader: the log could not be read at this seq; retrying (a caching view of the drive can show a batch late)',
      );
      return;
    }
    this.failing.count++;
    if (!this.failing.reported && now - this.failing.since >= this.boundMs) {
      this.failing.reported = true;
      this.logger.error(
        { code, err, seq, failures: this.failing.count, ms: Math.round(now - this.failing.since) },
        'log reader cannot follow the log: still retrying; this instance gives up its lease and stands for no election until it reads again (run `darkroom log verify`)',
      );
    }
  }
}
