// A channel that scans subfolders and whose output folder is a subfolder of its input folder
// reached through a symlink made after the channel was set up (so neither the settings check nor
// the watcher's excluded folders could see it), through a real `darkroom start` process: each
// image is processed once, its output is left where it is and named as E_INPUT_IS_OWN_OUTPUT, and
// it is never taken again (issue 14, item 4: it used to loop, one more copy in originals/ every
// few seconds).
import { copyFile, mkdir, readdir, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDrive,
  outcomes,
  putChannel,
  smallSamples,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let d: Drive;
let a: RunningInstance;

beforeAll(async () => {
  d = await makeDrive();
  await putChannel(d.shared, 'loop', {
    type: 'process',
    fileReadyDelayMs: 200,
    scanSubfolders: true,
    outputDir: 'outlink',
  });
  await mkdir(join(d.shared, 'hotfolders', 'loop', 'in', 'done'), { recursive: true });
  await symlink(join(d.shared, 'hotfolders', 'loop', 'in', 'done'), join(d.shared, 'outlink'));
  a = startInstance(d.conf, 'a');
  await waitFor('instance running', () => a.output().includes('running (inc'), 60_000, a.output);
});

afterAll(async () => {
  if (a.child.exitCode === null) a.signal('SIGTERM');
  expect(await a.exited).toBe(0);
  await d.cleanup();
});

describe('darkroom start with an output folder inside the input folder through a symlink', () => {
  it('processes the image once, leaves the output where it is and never takes it again', async () => {
    const [sample] = await smallSamples();
    const name = basename(sample!);
    const input = join(d.shared, 'hotfolders', 'loop', 'in');
    await copyFile(sample!, join(input, name));
    const warned = () =>
      a
        .output()
        .split('\n')
        .filter((l) => l.includes('E_INPUT_IS_OWN_OUTPUT'));
    await waitFor("the output named as the channel's own", () => warned().length > 0, 90_000, a.output);
    const o = await outcomes(d.shared);
    expect(o.submitted.get(name), a.output()).toHaveLength(1);
    expect([...o.final.values()].flat().map((r) => r.type)).toEqual(['JobCompleted']);
    expect(await readdir(input)).toEqual(['done']);
    expect(await readdir(join(input, 'done'))).toEqual([name]);
    expect(await readdir(join(d.shared, 'hotfolders', 'loop', 'originals'))).toEqual([name]);
    expect(JSON.parse(warned()[0]!)).toMatchObject({
      code: 'E_INPUT_IS_OWN_OUTPUT',
      channel: 'loop',
      file: `done/${name}`,
    });

    // A second image, dropped after the warning, is processed through the same scans of the
    // folder: by its completion the first output has been seen again and again, and still there
    // is one job each; each output is named once.
    const second = 'second.jpg';
    await copyFile(sample!, join(input, second));
    await waitFor(
      'the second image completed',
      async () => {
        const now = await outcomes(d.shared);
        return [...now.final.values()].flat().filter((r) => r.type === 'JobCompleted').length >= 2
          ? now
          : undefined;
      },
      90_000,
      a.output,
    );
    await waitFor('the second output named', () => warned().length >= 2, 30_000, a.output);
    const later = await outcomes(d.shared);
    expect(later.submitted.get(name)).toHaveLength(1);
    expect(later.submitted.get(second)).toHaveLength(1);
    expect(later.submitted.size).toBe(2);
    expect(warned()).toHaveLength(2);
    expect((await readdir(join(input, 'done'))).sort()).toEqual([name, second].sort());
  });
});
