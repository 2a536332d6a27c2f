// vitest globalSetup: builds dist/ from src/ before any test runs (~0.1-0.5 s; only changed files
// are written), so every `node bin/darkroom.js` a test spawns runs the sources as they are now.
// bin/darkroom.js checks the same stamp and would build by itself; doing it once here keeps
// parallel test processes from each finding dist/ stale at the same moment.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.js', import.meta.url))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
