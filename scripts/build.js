// Builds src/**/*.ts into dist/ (one .js per .ts, same layout, so worker entry points and
// `new URL('./x.js', import.meta.url)` work unchanged) with esbuild: a transpile, no bundling, no
// type check (`npm run typecheck` does that). Run by `npm ci` (prepare), `npm run build`, the
// test runs (vitest globalSetup) and bin/darkroom.js itself when dist/ is stale in a checkout.
//
// Files touched: dist/** only. Atomic step: each output is written to a temp name and renamed over
// the old one, and only when its content changed; the stamp (dist/.build-stamp) is renamed into
// place last. Invariant: a process loading dist/ while another builds (tests spawn many
// `darkroom` processes at once) reads each file whole, old or new, never a torn one.
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
  }).finally(() => stop());
  const keep = new Set([join(outDir, stampName)]);
  let written = 0;
  for (const f of result.outputFiles) {
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
  writeAtomic(join(outDir, stampName), fingerprint);
  return { written, removed, files: result.outputFiles.length, ms: performance.now() - t0 };
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
