#!/usr/bin/env node
// The darkroom command: runs the compiled JavaScript in dist/ (built from src/ by `npm ci` through
// `prepare`, or `npm run build`). In a checkout whose src/ changed since the last build, it builds
// dist/ first (esbuild, well under a second), so what runs is never older than the sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtFingerprint, sourceFingerprint } from '../scripts/dist-stamp.js';

// libuv's pool runs file I/O, crypto and sharp: give it room so image work cannot starve the
// log and the heartbeat path (must be set before the pool's first use).
process.env.UV_THREADPOOL_SIZE ??= '16';
// A closed pipe (`darkroom log tail -f | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const root = fileURLToPath(new URL('..', import.meta.url));
if (existsSync(new URL('../src', import.meta.url)) && builtFingerprint(root) !== sourceFingerprint(root)) {
  let build;
  try {
    ({ build } = await import('../scripts/build.js'));
    await import('esbuild');
  } catch {
    process.stderr.write('darkroom: dist/ is older than src/ and esbuild is not installed: run `npm ci`\n');
    process.exit(1);
  }
  try {
    await build(root);
  } catch (err) {
    process.stderr.write(
      `darkroom: building dist/ from src/ failed:\n${err instanceof Error ? err.message : err}\n`,
    );
    process.exit(1);
  }
}
const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv);
