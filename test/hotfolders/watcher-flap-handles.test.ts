// A hotfolder whose folder is removed and made again while chokidar is still scanning it must not
// leave an fs.watch handle behind once the watcher stopped: such a handle keeps the process from
// ever exiting (a `darkroom start` that drained and stopped everything hung there).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HotfolderWatcher } from '../../src/hotfolders/hotfolder-watcher.js';
import { tempDir } from './watch-helpers.js';

/** fs.watch handles that keep the process alive (unref'd ones are not listed). */
function liveWatchHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  return handles.filter((h) => h.constructor.name === 'FSWatcher').length;
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

async function fill(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 60; i++) {
    await mkdir(join(dir, `d${i}`), { recursive: true });
    await writeFile(join(dir, `d${i}`, 'a.jpg'), 'x');
  }
}

describe('HotfolderWatcher whose folder flaps during the initial scan', () => {
  it('leaves no fs.watch handle keeping the process alive after stop (many timings)', async () => {
    const before = liveWatchHandles();
    const root = await tempDir('flap');
    roots.push(root);
    for (let round = 0; round < 12; round++) {
      const dir = join(root, `in${round}`);
      await fill(dir);
      const w = new HotfolderWatcher({
        dir,
        fileReadyDelayMs: 100,
        recursive: true,
        rescanMs: 20,
        onReady: () => undefined,
      });
      await w.start();
      // Removed and made again at once, and again a moment later: chokidar is mid-scan each time.
      await rm(dir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, round % 4));
      await fill(dir);
      await new Promise((r) => setTimeout(r, (round * 7) % 25));
      await rm(dir, { recursive: true, force: true });
      await fill(dir);
      await w.stop();
      expect(w.status().state).toBe('stopped');
    }
    await rm(root, { recursive: true, force: true });
    expect(liveWatchHandles(), 'fs.watch handles left open after every watcher stopped').toBe(before);
  }, 60_000);
});
