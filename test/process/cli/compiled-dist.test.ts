// The shipped form of darkroom: compiled JavaScript in dist/, run by bin/darkroom.js without any
// TypeScript loader. A stale dist/ is rebuilt by the first command (never run), a source that does
// not compile stops the command with the compiler's message, and the worker-thread entry points
// (replay worker, analysis threads) start from dist/ as they do from the sources.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

async function node(args: string[], cwd: string): Promise<Exit> {
  try {
    const r = await run(process.execPath, args, { cwd, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('bin/darkroom.js in a checkout whose sources change', () => {
  let dir: string;
  beforeEach(async () => {
    // A checkout of its own: src/, scripts/, bin/ and package.json copied, node_modules shared.
    dir = await mkdtemp(join(tmpdir(), 'darkroom-dist-'));
    for (const p of ['src', 'scripts', 'bin', 'package.json'])
      await cp(join(repo, p), join(dir, p), { recursive: true });
    await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds a missing dist/, then rebuilds it after an edit, a new and a removed file', async () => {
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    expect(await node(['bin/darkroom.js', '--version'], dir)).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(existsSync(join(dir, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/bundle/main.js'))).toBe(true);

    await writeFile(join(dir, 'src/version.ts'), "export const VERSION = '9.9.9-edited';\n");
    expect(await node(['bin/darkroom.js', '--version'], dir)).toMatchObject({
      code: 0,
      stdout: '9.9.9-edited\n',
    });

    // A new file is built; renamed keeping its mtime (mv) it is seen too: the old output goes,
    // the new one comes. (A module something imports cannot simply be renamed: the bundle
    // build then stops with "Could not resolve", as the next test shows for any compile error.)
    await writeFile(join(dir, 'src/added.ts'), 'export const added = 1;\n');
    expect((await node(['bin/darkroom.js', '--version'], dir)).code).toBe(0);
    expect(existsSync(join(dir, 'dist/added.js'))).toBe(true);
    await rename(join(dir, 'src/added.ts'), join(dir, 'src/added-moved.ts'));
    expect((await node(['bin/darkroom.js', '--version'], dir)).code).toBe(0);
    expect(existsSync(join(dir, 'dist/added.js'))).toBe(false);
    expect(existsSync(join(dir, 'dist/added-moved.js'))).toBe(true);
  });

  it('an unchanged checkout does not rebuild: dist/ files keep their content and identity', async () => {
    expect((await node(['bin/darkroom.js', '--version'], dir)).code).toBe(0);
    const stamp = await readFile(join(dir, 'dist/.build-stamp'), 'utf8');
    const before = await readFile(join(dir, 'dist/cli/main.js'), 'utf8');
    await writeFile(join(dir, 'dist/cli/main.js'), `${before}\n// marker: not rewritten\n`);
    expect((await node(['bin/darkroom.js', '--version'], dir)).code).toBe(0);
    expect(await readFile(join(dir, 'dist/cli/main.js'), 'utf8')).toContain('marker: not rewritten');
    expect(await readFile(join(dir, 'dist/.build-stamp'), 'utf8')).toBe(stamp);
  });

  it('a source that does not compile stops the command with the file and line, exit 1', async () => {
    expect((await node(['bin/darkroom.js', '--version'], dir)).code).toBe(0);
    await writeFile(join(dir, 'src/version.ts'), 'export const VERSION = ;\n');
    const r = await node(['bin/darkroom.js', '--version'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('building dist/ from src/ failed');
    expect(r.stderr).toContain('src/version.ts:1');
    expect(r.stdout).toBe('');
  });
});

describe('dist/ run without a TypeScript loader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'darkroom-dist-run-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the replay worker and the analysis threads start from dist/', async () => {
    const dist = (p: string): string => JSON.stringify(new URL(`dist/${p}`, `file://${repo}`).href);
    // Plain node: a .ts module anywhere on these paths would fail to load.
    const script = `
      const { EventLog } = await import(${dist('events/event-log.js')});
      const { packLog } = await import(${dist('events/segment-pack.js')});
      const { initLog } = await import(${dist('events/log-init.js')});
      await initLog(${JSON.stringify(join(dir, 'shared'))});
      const { darkroomProjector } = await import(${dist('projections/projector.js')});
      const { analyzeOffThread, analysisThreads } = await import(${dist('imaging/analysis-thread.js')});
      const { analyzePixels } = await import(${dist('imaging/analysis.js')});
      const { createRequire } = await import('node:module');
      const { pino } = createRequire(${JSON.stringify(join(repo, 'package.json'))})('pino');
      const open = (said) => EventLog.open({ sharedDir: ${JSON.stringify(join(dir, 'shared'))}, writer: { by: 'w', inc: 0 },
        projector: darkroomProjector, snapshotEvery: 0, replayWorkerMinSegments: 0,
        logger: pino({ level: 'info' }, { write: (l) => said.push(l) }) });
      const w = await open([]);
      for (let i = 0; i < 40; i++) await w.append([{ type: 'OperatorNote', data: { text: 'n' + i, author: 'test' } }]);
      await w.stop();
      await packLog(${JSON.stringify(join(dir, 'shared'))}, { maxRecords: 8 });
      const said = [];
      const r = await open(said);
      const seq = r.seq;
      await r.stop();
      const px = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 7) % 256);
      const about = { format: 'raw', width: 64, height: 48, space: 'srgb', isCmyk: false, isGray: false,
        hasAlpha: false, hasProfile: false, orientation: 1 };
      await analyzeOffThread(px, 64, 48, about);
      await analyzeOffThread(px, 64, 48, about);
      const deadline = performance.now() + 60000;
      while (analysisThreads().ready === 0 && analysisThreads().started > 0 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const off = await analyzeOffThread(px, 64, 48, about);
      console.log(JSON.stringify({ seq, said: said.map((l) => JSON.parse(l).msg), threads: analysisThreads(),
        same: JSON.stringify(off) === JSON.stringify(analyzePixels(px, 64, 48, about)) }));
      process.exit(0);`;
    // A file, not `-e`: worker threads inherit the parent's execArgv (`--input-type` breaks them).
    await writeFile(join(dir, 'run.mjs'), script);
    const r = await node([join(dir, 'run.mjs')], repo);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const seen = JSON.parse(r.stdout) as {
      seq: number;
      said: string[];
      threads: { ready: number };
      same: boolean;
    };
    expect(seen.seq).toBe(40);
    expect(seen.said).toContain('replay: the log is checked in a worker thread');
    expect(seen.said.join('\n')).not.toContain('replay worker failed');
    expect(seen.threads.ready).toBeGreaterThan(0);
    expect(seen.same).toBe(true);
  });
});

describe('package.json', () => {
  it('keeps the TypeScript transpiler out of the production dependencies', async () => {
    const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.dependencies)).not.toContain('esbuild');
    expect(pkg.scripts['prepare']).toBe('node scripts/build.js');
  });
});
