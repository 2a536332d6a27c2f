// Builds src/**/*.ts into dist/ with esbuild, no type check (`npm run typecheck` does that), in
// two forms: one .js per .ts, same layout (worker-thread entry points, `new URL('./x.js',
// import.meta.url)`, library use and tests load these), and the command itself bundled into
// dist/bundle/ (`main.js` plus one chunk per lazily loaded command group and the code they
// share, the pure-JavaScript libraries included), which bin/darkroom.js runs: a handful of files
// to resolve and read instead of a few hundred. Run by `npm ci` (prepare), `npm run build`, the
// test runs (vitest globalSetup) and bin/darkroom.js itself when dist/ is stale in a checkout.
//
// Files touched: dist/** only. Atomic step: each output is written to a temp name and renamed over
// the old one, and only when its content changed; the stamp (dist/.build-stamp) is renamed into
// place last. Invariant: a process loading dist/ while another builds (tests spawn many
// `darkroom` processes at once) reads each file whole, old or new, never a torn one. Bundle
// chunks have content-hashed names; those of the previous build are kept (dist/bundle/.previous)
// so a process started from it can still load a command group it has not loaded yet.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { sourceFiles, sourceFingerprint, stampName } from './dist-stamp.js';

const defaultRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function writeAtomic(path, contents) {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

function sameContent(path, contents) {
  try {
    return Buffer.from(contents).equals(readFileSync(path));
  } catch {
    return false;
  }
}

/**
 * Libraries left outside the bundle, loaded from node_modules at run time: native code (sharp),
 * libraries that start worker threads from their own files (pino's transports: thread-stream,
 * pino-pretty), the build tools, and the optional native add-ons ws looks for.
 */
export const bundleExternal = [
  'sharp',
  'pino',
  'pino-pretty',
  'thread-stream',
  'esbuild',
  'tsx',
  'bufferutil',
  'utf-8-validate',
];

/**
 * Inside the bundle every chunk sits in dist/bundle/, so `import.meta.url` would name the chunk,
 * not the module: each source's `import.meta.url` becomes the URL of its own one-file build in
 * dist/ (dist/x/y.js), so worker entry points and data files next to it resolve as before.
 */
function metaUrlPlugin(srcDir, outDir) {
  const bundleDir = join(outDir, 'bundle');
  return {
    name: 'module-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const own = join(outDir, relative(srcDir, args.path)).replace(/\.ts$/, '.js');
        const rel = relative(bundleDir, own).split('\\').join('/');
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        return { contents: text.split('import.meta.url').join(url), loader: 'ts' };
      });
    },
  };
}

function listFiles(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Builds dist/ from src/. Returns { written, removed, ms }. Throws (with esbuild's messages) when
 * a source does not compile; dist/ then keeps its old stamp, so it stays "stale".
 */
export async function build(root = defaultRoot) {
  const t0 = performance.now();
  // The fingerprint is taken before the sources are read: an edit during the build leaves the
  // stamp behind the sources, so the next start builds again (never the other way round).
  const fingerprint = sourceFingerprint(root);
  const { build: esbuild, stop } = await import('esbuild');
  const srcDir = join(root, 'src');
  const outDir = join(root, 'dist');
  const entryPoints = sourceFiles(root).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  // stop(): esbuild's service process would otherwise live as long as this one (a `darkroom start`).
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints,
    outbase: srcDir,
    outdir: outDir,
    format: 'esm',
    platform: 'node',
    target: 'node20.20',
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
  }).catch((err) => {
    stop();
    throw err;
  });
  const bundleDir = join(outDir, 'bundle');
  const bundled = await esbuild({
    absWorkingDir: root,
    entryPoints: { main: join(srcDir, 'cli/main.ts') },
    bundle: true,
    splitting: true,
    outdir: bundleDir,
    chunkNames: 'chunk-[hash]',
    entryNames: '[name]',
    format: 'esm',
    platform: 'node',
    target: 'node20.20',
    external: bundleExternal,
    plugins: [metaUrlPlugin(srcDir, outDir)],
    // CommonJS libraries inside an ES module bundle still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __darkroomRequire } from 'node:module';\nconst require = __darkroomRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'silent',
  }).finally(() => stop());
  const currentList = join(bundleDir, '.current');
  const keep = new Set([join(outDir, stampName), currentList]);
  // The previous build's chunks stay one build longer (a running process may still import them).
  try {
    for (const name of readFileSync(currentList, 'utf8').split('\n'))
      if (name !== '') keep.add(join(bundleDir, name));
  } catch {
    // no earlier bundle
  }
  const outputs = [...result.outputFiles, ...bundled.outputFiles];
  let written = 0;
  for (const f of outputs) {
    keep.add(f.path);
    if (sameContent(f.path, f.contents)) continue;
    mkdirSync(dirname(f.path), { recursive: true });
    writeAtomic(f.path, f.contents);
    written++;
  }
  let removed = 0;
  for (const f of listFiles(outDir)) {
    if (keep.has(f) || f.endsWith('.tmp')) continue;
    rmSync(f, { force: true });
    removed++;
  }
  const names = bundled.outputFiles.map((f) => relative(bundleDir, f.path)).join('\n');
  mkdirSync(bundleDir, { recursive: true });
  if (!sameContent(currentList, names)) writeAtomic(currentList, names);
  writeAtomic(join(outDir, stampName), fingerprint);
  return { written, removed, files: outputs.length, ms: performance.now() - t0 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const r = await build();
    const where = relative(process.cwd(), join(defaultRoot, 'dist')) || 'dist';
    console.log(
      `built ${where}/: ${r.files} files, ${r.written} written, ${r.removed} removed, ${r.ms.toFixed(0)} ms`,
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
