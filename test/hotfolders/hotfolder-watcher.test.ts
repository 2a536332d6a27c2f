// HotfolderWatcher on real temp folders with a hand-driven clock: a file is reported only after its
// size and mtime stayed unchanged for the file-ready delay on that clock, so no test depends on speed.
import { appendFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HotfolderWatcher,
  type HotfolderWatcherOptions,
  type ReadyFile,
  type WatcherDrive,
  type WatcherStatus,
} from '../../src/hotfolders/hotfolder-watcher.js';
import { manualClock, tempDir, waitFor, type ManualClock } from './watch-helpers.js';

const delay = 200;
const watchers: HotfolderWatcher[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.stop()));
});

interface Harness {
  dir: string;
  clock: ManualClock;
  watcher: HotfolderWatcher;
  ready: ReadyFile[];
  statuses: WatcherStatus[];
  /** Advances the clock past the delay until `rel` is reported. */
  settleUntil(rel: string): Promise<ReadyFile>;
}

async function harness(options: Partial<HotfolderWatcherOptions> & { dir?: string } = {}): Promise<Harness> {
  const dir = options.dir ?? (await tempDir('watch'));
  const clock = manualClock();
  const ready: ReadyFile[] = [];
  const statuses: WatcherStatus[] = [];
  const watcher = new HotfolderWatcher({
    dir,
    fileReadyDelayMs: delay,
    rescanMs: 50,
    settleCheckMs: 10,
    stallMs: 1e12,
    clock,
    onReady: (f) => {
      ready.push(f);
    },
    onStatus: (s) => statuses.push(s),
    ...options,
  });
  watchers.push(watcher);
  await watcher.start();
  const settleUntil = async (rel: string) => {
    await waitFor(
      () => {
        clock.advance(delay / 4);
        return ready.some((f) => f.relPath === rel);
      },
      () => `${rel} reported; reported so far: ${JSON.stringify(ready.map((f) => f.relPath))}`,
    );
    return ready.find((f) => f.relPath === rel)!;
  };
  return { dir, clock, watcher, ready, statuses, settleUntil };
}

describe.each([false, true])('HotfolderWatcher (polling %s)', (usePolling) => {
  it('a file still growing is not reported before it stopped growing for the delay', async () => {
    const h = await harness({ usePolling, pollIntervalMs: 30 });
    const file = join(h.dir, 'slow.jpg');
    const chunk = Buffer.alloc(4096, 7);
    await writeFile(file, chunk);
    for (let i = 0; i < 12; i++) {
      // Each append lands before the clock moves on by less than the delay.
      await new Promise((r) => setTimeout(r, 15));
      await appendFile(file, chunk);
      h.clock.advance(delay * 0.75);
      expect(h.ready, `reported while still growing (step ${i})`).toEqual([]);
    }
    const f = await h.settleUntil('slow.jpg');
    expect(f).toMatchObject({ relPath: 'slow.jpg', path: file, bytes: 13 * 4096 });
    expect(h.ready).toHaveLength(1);
    expect(h.watcher.status()).toMatchObject({ state: 'running', pending: 0, polling: usePolling });
  });
});

describe('HotfolderWatcher ignores', () => {
  it('hidden and temporary files and the skip pattern', async () => {
    const h = await harness({ skipPattern: '*.txt' });
    const ignored = [
      '.DS_Store',
      '._photo.jpg',
      '.hidden.jpg',
      'a.tmp',
      'b.part',
      'c.crdownload',
      'Thumbs.db',
      'notes.txt',
    ];
    for (const name of ignored) await writeFile(join(h.dir, name), 'x');
    await writeFile(join(h.dir, 'photo.jpg'), 'x');
    await h.settleUntil('photo.jpg');
    // A later file reported means the ignored ones had at least as long to be reported.
    await writeFile(join(h.dir, 'later.jpg'), 'x');
    await h.settleUntil('later.jpg');
    expect(h.ready.map((f) => f.relPath).sort()).toEqual(['later.jpg', 'photo.jpg']);
  });

  it('a regex skip pattern matches the relative path', async () => {
    const h = await harness({ recursive: true, skipPattern: '/^drafts\\//' });
    await mkdir(join(h.dir, 'drafts'));
    await writeFile(join(h.dir, 'drafts', 'a.jpg'), 'x');
    await writeFile(join(h.dir, 'b.jpg'), 'x');
    await h.settleUntil('b.jpg');
    await writeFile(join(h.dir, 'c.jpg'), 'x');
    await h.settleUntil('c.jpg');
    expect(h.ready.map((f) => f.relPath).sort()).toEqual(['b.jpg', 'c.jpg']);
  });
});

describe('HotfolderWatcher with subfolders', () => {
  it('reports files in subfolders with their relative path when recursive', async () => {
    const dir = await tempDir('watch');
    const out = join(dir, 'out');
    await mkdir(join(dir, 'sport', 'day1'), { recursive: true });
    await mkdir(join(dir, '.cache'));
    await mkdir(out);
    await writeFile(join(dir, 'sport', 'day1', 'goal.jpg'), 'x');
    await writeFile(join(dir, '.cache', 'c.jpg'), 'x');
    await writeFile(join(out, 'done.jpg'), 'x');
    const h = await harness({ dir, recursive: true, excludeDirs: [out] });
    const f = await h.settleUntil('sport/day1/goal.jpg');
    expect(f.path).toBe(join(dir, 'sport', 'day1', 'goal.jpg'));
    await mkdir(join(dir, 'late'));
    await writeFile(join(dir, 'late', 'x.jpg'), 'x');
    await h.settleUntil('late/x.jpg');
    expect(h.ready.map((r) => r.relPath).sort()).toEqual(['late/x.jpg', 'sport/day1/goal.jpg']);
  });

  it('leaves subfolders alone when not recursive', async () => {
    const h = await harness();
    await mkdir(join(h.dir, 'sub'));
    await writeFile(join(h.dir, 'sub', 'a.jpg'), 'x');
    await writeFile(join(h.dir, 'top.jpg'), 'x');
    await h.settleUntil('top.jpg');
    await writeFile(join(h.dir, 'top2.jpg'), 'x');
    await h.settleUntil('top2.jpg');
    expect(h.ready.map((r) => r.relPath).sort()).toEqual(['top.jpg', 'top2.jpg']);
  });
});

describe('HotfolderWatcher reporting', () => {
  it('reports a file once, again after retry(), and again when it is replaced', async () => {
    const h = await harness();
    await writeFile(join(h.dir, 'a.jpg'), 'one');
    await h.settleUntil('a.jpg');
    h.watcher.retry('a.jpg');
    await waitFor(
      () => {
        h.clock.advance(delay / 4);
        return h.ready.length === 2;
      },
      () => `second report after retry; got ${h.ready.length}`,
    );
    const tmp = join(h.dir, 'a.jpg.tmp');
    await writeFile(tmp, 'a longer content');
    await rename(tmp, join(h.dir, 'a.jpg'));
    await waitFor(
      () => {
        h.clock.advance(delay / 4);
        return h.ready.length === 3;
      },
      () => `third report after replacement; got ${h.ready.length}`,
    );
    expect(h.ready.map((f) => f.bytes)).toEqual([3, 3, 16]);
  });

  it('reports a file again when the handler asked for a retry from inside onReady', async () => {
    let calls = 0;
    const holder: { w?: HotfolderWatcher } = {};
    const h = await harness({
      onReady: (f) => {
        calls++;
        if (calls === 1) holder.w!.retry(f.relPath);
      },
    });
    holder.w = h.watcher;
    await writeFile(join(h.dir, 'a.jpg'), 'x');
    await waitFor(
      () => {
        h.clock.advance(delay / 4);
        return calls >= 2;
      },
      () => `a second call; calls=${calls}`,
    );
  });

  it('reports a file again when the handler failed', async () => {
    let calls = 0;
    const h = await harness({
      onReady: () => {
        calls++;
        if (calls === 1) throw new Error('drive hiccup');
      },
    });
    await writeFile(join(h.dir, 'a.jpg'), 'x');
    await waitFor(
      () => {
        h.clock.advance(delay / 4);
        return calls >= 2;
      },
      () => `a second call; calls=${calls}`,
    );
    expect(h.watcher.status().pending).toBe(0);
  });
});

describe('HotfolderWatcher on an unreachable folder', () => {
  it('reports unreachable when the folder goes, and running again when it is back', async () => {
    const dir = join(await tempDir('watch'), 'in');
    const h = await harness({ dir });
    expect(h.watcher.status()).toMatchObject({ state: 'unreachable', code: 'ENOENT' });
    await mkdir(dir);
    await waitFor(
      () => h.watcher.status().state === 'running',
      () => JSON.stringify(h.watcher.status()),
    );
    await writeFile(join(dir, 'a.jpg'), 'x');
    await h.settleUntil('a.jpg');

    await rm(dir, { recursive: true });
    await waitFor(
      () => h.watcher.status().state === 'unreachable',
      () => JSON.stringify(h.watcher.status()),
    );
    expect(h.watcher.status().reason).toMatch(/ENOENT/);
    await mkdir(dir);
    await writeFile(join(dir, 'b.jpg'), 'x');
    await h.settleUntil('b.jpg');
    expect(h.statuses.map((s) => s.state)).toEqual([
      'starting',
      'unreachable',
      'running',
      'unreachable',
      'running',
    ]);
  });

  it('reports a drive that stopped answering, and running again once it answers', async () => {
    const dir = await tempDir('watch');
    let hang = false;
    const waiting: (() => void)[] = [];
    const drive: WatcherDrive = {
      readdir: async (d) => {
        if (hang) await new Promise<void>((r) => waiting.push(r));
        return readdir(d, { withFileTypes: true });
      },
      stat: (p) => stat(p),
    };
    const h = await harness({ dir, drive, stallMs: 300 });
    expect(h.watcher.status().state).toBe('running');
    hang = true;
    await waitFor(
      () => {
        h.clock.advance(100);
        return h.watcher.status().state === 'unreachable';
      },
      () => JSON.stringify(h.watcher.status()),
    );
    expect(h.watcher.status()).toMatchObject({
      code: 'ETIMEDOUT',
      reason: expect.stringMatching(/has not answered for \d+ ms/),
    });
    hang = false;
    for (const release of waiting.splice(0)) release();
    await waitFor(
      () => h.watcher.status().state === 'running',
      () => JSON.stringify(h.watcher.status()),
    );
  });

  it('reports a disconnected share (ENOTCONN) by its code', async () => {
    const dir = await tempDir('watch');
    let broken = true;
    const drive: WatcherDrive = {
      readdir: async (d) => {
        if (broken)
          throw Object.assign(new Error(`ENOTCONN: socket is not connected, scandir '${d}'`), {
            code: 'ENOTCONN',
          });
        return readdir(d, { withFileTypes: true });
      },
      stat: (p) => stat(p),
    };
    const h = await harness({ dir, drive });
    expect(h.watcher.status()).toMatchObject({ state: 'unreachable', code: 'ENOTCONN' });
    broken = false;
    await writeFile(join(dir, 'a.jpg'), 'x');
    await h.settleUntil('a.jpg');
    expect(h.watcher.status().state).toBe('running');
  });

  it('stop() is idempotent and ends in state stopped', async () => {
    const h = await harness();
    const a = h.watcher.stop();
    expect(h.watcher.stop()).toBe(a);
    await a;
    expect(h.watcher.status().state).toBe('stopped');
  });

  it('its native watch handles never keep the process alive (chokidar 5 can leave one open after close)', async () => {
    // An instance whose coordinator stopped watching must still exit: chokidar 5.0.0 was seen
    // leaving the folder's fs.watch open after close() while files came and went (the lone
    // instance of exactly-once.test.ts then never exited after InstanceStopped). The handles are
    // unreferenced, so even a leaked one holds nothing; the rescan timers keep a running watcher going.
    const watching = (): number => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const before = watching();
    // No rescan during the test: a file seen before the settle check can only come from a chokidar hint.
    const h = await harness({ rescanMs: 1e9 });
    await waitFor(
      () => h.watcher.status().state === 'running',
      () => `running, not ${h.watcher.status().state}`,
    );
    let n = 0;
    await waitFor(
      () => {
        void writeFile(join(h.dir, `hint-${n++}.jpg`), 'x');
        return h.watcher.status().pending > 0;
      },
      () => 'a chokidar hint for a new file',
    );
    expect(watching()).toBe(before);
  });
});
