// A small drive for disk-full faults: a tmpfs of a few MB mounted over the harness's real drive
// folder (`mount -t tmpfs -o size=…`), filled by a filler file until the file system says ENOSPC
// and freed by removing it. `unmount()` always runs (idempotent, lazy as a last resort), and a
// `process.on('exit')` hook unmounts what a test that never reached its teardown left mounted.
import { spawnSync } from 'node:child_process';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

const mounted = new Set<string>();
process.on('exit', () => {
  for (const dir of mounted) spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
});

/** Why a tmpfs cannot be mounted here, or undefined when it can (root, and the kernel allows it). */
export function tmpfsRefused(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: mounting a tmpfs needs CAP_SYS_ADMIN';
  if (spawnSync('mount', ['--version'], { stdio: 'ignore' }).status !== 0) return 'mount is not installed';
  return undefined;
}

export class SmallDrive {
  #filler: string;
  #down = false;

  private constructor(readonly dir: string) {
    this.#filler = join(dir, '.filler');
  }

  /** Mounts a tmpfs of `sizeMb` MB at `dir` (an empty folder). */
  static mount(dir: string, sizeMb: number): SmallDrive {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`mount -t tmpfs at ${dir} failed: ${r.stderr || r.stdout}`);
    mounted.add(dir);
    return new SmallDrive(dir);
  }

  /** Free bytes on the drive now. */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /** Writes the filler file until the drive says ENOSPC (every byte taken); returns its size. */
  async fill(): Promise<number> {
    const fh = await open(this.#filler, 'a');
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    let total = 0;
    try {
      for (;;) {
        try {
          const { bytesWritten } = await fh.write(chunk);
          total += bytesWritten;
          if (bytesWritten < chunk.length) continue;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
      // Smaller writes take the last partial pages.
      for (const size of [4096, 512, 1]) {
        for (;;) {
          try {
            total += (await fh.write(chunk.subarray(0, size))).bytesWritten;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      await fh.close();
    }
    return total;
  }

  /** Removes the filler: the space is back. */
  async free(): Promise<void> {
    await rm(this.#filler, { force: true });
  }

  /** Unmounts the tmpfs (lazily if it is busy). Idempotent. */
  unmount(): void {
    if (this.#down) return;
    this.#down = true;
    const r = spawnSync('umount', [this.dir], { stdio: 'ignore' });
    if (r.status !== 0) spawnSync('umount', ['-l', this.dir], { stdio: 'ignore' });
    mounted.delete(this.dir);
  }
}
