#!/usr/bin/env node
// The darkroom command: loads the TypeScript sources through tsx (Node 20 has no type stripping).
// libuv's pool runs file I/O, crypto and sharp: give it room so image work cannot starve the
// log and the heartbeat path (must be set before the pool's first use).
process.env.UV_THREADPOOL_SIZE ??= '16';
// A closed pipe (`darkroom log tail -f | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
