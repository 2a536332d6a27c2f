// One instance's view of the shared drive: a bindfs (FUSE) mount of the real folder with entry,
// attribute and negative-lookup caching of a few seconds, so instances see each other's files
// late, as NFS and SMB clients do. The view can be stalled (SIGSTOP of its bindfs: every file
// call through it hangs) and resumed. Always unmounted by `unmount()`, even after a stall.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

export interface ViewOptions {
  /** Cache timeouts in seconds (entry, attr, negative). */
  readonly cacheS: number;
}

export class BindfsView {
  #child: ChildProcess | undefined;
  #stalled = false;

  constructor(
    readonly source: string,
    readonly mountPoint: string,
    readonly o: ViewOptions = { cacheS: 2 },
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  async mount(): Promise<void> {
    await mkdir(this.source, { recursive: true });
    await mkdir(this.mountPoint, { recursive: true });
    const t = this.o.cacheS;
    this.#child = spawn(
      'bindfs',
      [
        '-f',
        '-o',
        `entry_timeout=${t},attr_timeout=${t},negative_timeout=${t}`,
        this.source,
        this.mountPoint,
      ],
      { stdio: 'ignore' },
    );
    const deadline = performance.now() + 15_000;
    while (!isMountPoint(this.mountPoint)) {
      if (this.#child.exitCode !== null)
        throw new Error(`bindfs exited (${this.#child.exitCode}) mounting ${this.mountPoint}`);
      if (performance.now() > deadline)
        throw new Error(`bindfs did not mount ${this.mountPoint} within 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every file call through the view hangs until `resume()`. */
  stall(): void {
    if (this.#child?.pid === undefined || this.#stalled) return;
    process.kill(this.#child.pid, 'SIGSTOP');
    this.#stalled = true;
  }

  resume(): void {
    if (this.#child?.pid === undefined || !this.#stalled) return;
    process.kill(this.#child.pid, 'SIGCONT');
    this.#stalled = false;
  }

  /** Resumes, then unmounts (SIGTERM to bindfs, then fusermount -u as a fallback). Idempotent. */
  async unmount(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.resume();
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    if (isMountPoint(this.mountPoint))
      spawnSync('fusermount', ['-u', '-z', this.mountPoint], { stdio: 'ignore' });
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export function isMountPoint(path: string): boolean {
  return spawnSync('mountpoint', ['-q', path]).status === 0;
}

/** True when bindfs and /dev/fuse are usable here. */
export function bindfsAvailable(): boolean {
  return spawnSync('bindfs', ['--version'], { stdio: 'ignore' }).status === 0;
}
