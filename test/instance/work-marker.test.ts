// Work-folder markers are written whole: a process killed at any step of a marker write leaves
// either no marker or the complete one — never the empty or half file a rerun would misread as
// "nothing done yet" (session 5: an empty originals marker behind 16,000 releases of one job).
// The kill is modelled by file calls that die at step k: the dying call may leave its bytes half
// written, and no later call (not even the clean-up) runs, as after a SIGKILL.
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isMarkerTemp,
  nodeMarkerIo,
  readMarker,
  writeMarker,
  type MarkerIo,
} from '../../src/instance/work-marker.js';

class Killed extends Error {}

/** File calls that die at call number `at` (0-based); `create` dying writes `bytes` of its text. */
function dyingIo(at: number, bytes: (text: string) => number): MarkerIo {
  let calls = 0;
  let dead = false;
  const step = async (die: () => Promise<void>, live: () => Promise<void>): Promise<void> => {
    if (dead) throw new Killed('dead already');
    if (calls++ === at) {
      dead = true;
      await die();
      throw new Killed(`killed at call ${at}`);
    }
    await live();
  };
  return {
    create: (path, text, durable) =>
      step(
        () => writeFile(path, text.slice(0, bytes(text)), { flag: 'wx' }),
        () => nodeMarkerIo.create(path, text, durable),
      ),
    rename: (from, to) =>
      step(
        async () => undefined,
        () => nodeMarkerIo.rename(from, to),
      ),
    unlink: (path) =>
      step(
        async () => undefined,
        () => nodeMarkerIo.unlink(path),
      ),
  };
}

const value = { action: 'archived', path: 'originals/2026/p00305.jpg' };
const cuts: readonly ((text: string) => number)[] = [
  () => 0,
  () => 1,
  (t) => Math.floor(t.length / 2),
  (t) => t.length - 1,
];

describe('writeMarker', () => {
  it('a kill at any step leaves no marker or the whole marker, and the rerun writes it', async () => {
    // A whole write is two calls: create the temp, rename it.
    for (let at = 0; at < 2; at++) {
      for (const cut of cuts) {
        const dir = await mkdtemp(join(tmpdir(), 'darkroom-marker-'));
        const path = join(dir, '.darkroom-original.json');
        await expect(writeMarker(path, value, { io: dyingIo(at, cut) })).rejects.toThrow(Killed);
        const seen = await readMarker(path);
        const names = await readdir(dir);
        if (names.includes('.darkroom-original.json')) expect(seen).toEqual(value);
        else expect(seen).toBeUndefined();
        // Whatever else the kill left is a marker temp, which the work folder's clean-up owns.
        expect(names.filter((n) => n !== '.darkroom-original.json').every(isMarkerTemp)).toBe(true);
        await writeMarker(path, value);
        expect(await readMarker(path)).toEqual(value);
      }
    }
  });

  it('a kill while replacing a marker leaves the earlier one whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-marker-'));
    const path = join(dir, '.darkroom-published.json');
    await writeMarker(path, { path: 'out/a.jpg', jobId: 'J1' });
    for (const cut of cuts) {
      await expect(
        writeMarker(path, { path: 'out/a-1.jpg', jobId: 'J1' }, { io: dyingIo(0, cut) }),
      ).rejects.toThrow(Killed);
      expect(await readMarker(path)).toEqual({ path: 'out/a.jpg', jobId: 'J1' });
    }
  });

  it('a failed write (not a kill) removes its temp; a durable write reads back the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-marker-'));
    // The rename fails for real: a folder (not empty) holds the marker's name.
    const blocked = join(dir, '.darkroom-bad.json');
    await mkdir(blocked);
    await writeFile(join(blocked, 'x'), 'x');
    await expect(writeMarker(blocked, value)).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(await readdir(dir)).toEqual(['.darkroom-bad.json']);
    const ok = join(dir, '.darkroom-job.json');
    await writeMarker(ok, value, { durable: true });
    expect((await readdir(dir)).sort()).toEqual(['.darkroom-bad.json', '.darkroom-job.json']);
    expect(await readMarker(ok)).toEqual(value);
    expect(isMarkerTemp('.darkroom-job.json.4242-0.tmp')).toBe(true);
    expect(isMarkerTemp('.darkroom-20261207T225524Z-2fea3c22-1.tmp')).toBe(false);
  });
});
