// Clock jumps for one instance with Debian's libfaketime: the instance's node process runs with
// LD_PRELOAD=libfaketimeMT and a timestamp file of its own, which the test rewrites to jump that
// process's wall clock (Date, gettimeofday, CLOCK_REALTIME) by an offset while it runs, as an NTP
// step or an operator's `date -s` would. The monotonic clock is left alone
// (FAKETIME_DONT_FAKE_MONOTONIC=1), as a real jump leaves CLOCK_MONOTONIC alone; file times set
// by the drive stay real (the file server's clock). Inert unless a test passes this environment.
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The multi-threaded libfaketime (node has threads), or undefined when it is not installed. */
export function libfaketimePath(): string | undefined {
  for (const base of ['/usr/lib', '/usr/lib64']) {
    let dirs: string[];
    try {
      dirs = readdirSync(base);
    } catch {
      continue;
    }
    for (const d of ['', ...dirs]) {
      const p = join(base, d, 'faketime', 'libfaketimeMT.so.1');
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

export class ClockJump {
  constructor(
    readonly lib: string,
    readonly file: string,
  ) {}

  /** The environment for the instance's process (its wall clock starts at the real time). */
  async env(): Promise<NodeJS.ProcessEnv> {
    await this.set(0);
    return {
      LD_PRELOAD: this.lib,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      // Re-read the file at most every second (not on every clock call).
      FAKETIME_CACHE_DURATION: '1',
    };
  }

  /** The process's wall clock is `offsetS` seconds off the real time from now on. */
  async set(offsetS: number): Promise<void> {
    await writeFile(this.file, `${offsetS >= 0 ? '+' : ''}${offsetS}s\n`);
  }
}
