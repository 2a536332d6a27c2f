// Imported first by run.ts: the same libuv pool size as bin/darkroom.js gives the instance, so the
// in-process loop and the instance run sharp with the same number of threads.
process.env['UV_THREADPOOL_SIZE'] ??= '16';
