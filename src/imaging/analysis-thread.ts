// The JS analysis (analysis.ts's analyzePixels, 20-40 ms on a 512 px copy) on worker threads, so
// the event loop stays free for heartbeats and HTTP and two jobs' analyses run on two cores at
// once instead of one after the other. Same function, same result. The threads start with the
// second analysis, in the background: until one is ready, the analysis runs on the calling
// thread (a one-shot `darkroom process` neither starts nor waits for them). They never keep the
// process alive while idle.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { analyzePixels } from './analysis.js';

/** Analyses each thread runs on a synthetic copy before it takes work (~0.3 s of CPU once). */
const warmUpRounds = 12;

/**
 * How the thread loads analysis.ts's module: from dist/ (compiled, bin/darkroom.js) it imports
 * analysis.js directly; from the .ts sources (tests, benches under tsx) it registers tsx in the
 * thread first (a worker does not inherit the main thread's loader).
 */
function loadAnalysis(): string {
  if (!import.meta.url.endsWith('.ts')) {
    return `import(${JSON.stringify(new URL('./analysis.js', import.meta.url).href)})`;
  }
  // tsx's ESM API (its CommonJS build cannot register the ESM loader from a worker).
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const analysis = new URL('./analysis.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then(({ register }) => {
  register();
  return import(${JSON.stringify(analysis)});
})`;
}

/** The thread's program: it loads analysis, then answers { id, px, width, height, about } with analyzePixels. */
function threadProgram(): string {
  return `
const { parentPort } = require('node:worker_threads');
${loadAnalysis()}.then(({ analyzePixels }) => {
  // Warm-up before taking work: the first calls of a fresh thread run unoptimised (~100 ms).
  const w = 512, h = 341, px = new Uint8Array(w * h * 3);
  let seed = 1;
  for (let i = 0; i < px.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    px[i] = ((i % (w * 3)) / 6 + (seed >>> 26)) & 255;
  }
  const about = { format: 'raw', width: w, height: h, space: 'srgb', isCmyk: false, isGray: false,
    hasAlpha: false, hasProfile: false, orientation: 1 };
  for (let k = 0; k < ${warmUpRounds}; k++) analyzePixels(px, w, h, about);
  parentPort.on('message', (m) => {
    try {
      parentPort.postMessage({ id: m.id, result: analyzePixels(m.px, m.width, m.height, m.about) });
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  parentPort.postMessage({ ready: true });
});`;
}

type Result = ReturnType<typeof analyzePixels>;
type About = Parameters<typeof analyzePixels>[3];

interface Reply {
  readonly id?: number;
  readonly ready?: boolean;
  readonly result?: Result;
  readonly error?: string;
}

interface Thread {
  readonly worker: Worker;
  ready: boolean;
  readonly pending: Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>;
}

/** Two threads: the server runs two image jobs at once on a 2-core machine. */
const threadCount = 2;
const threads: Thread[] = [];
let nextId = 1;
/** Set when a thread failed before it was ready (e.g. the loader is missing): stay on this thread. */
let unavailable = false;
/** Analyses asked for so far: the threads start with the second. */
let calls = 0;

function startThread(): void {
  const worker = new Worker(threadProgram(), { eval: true });
  const thread: Thread = { worker, ready: false, pending: new Map() };
  const drop = (err: Error): void => {
    if (!thread.ready) unavailable = true;
    const i = threads.indexOf(thread);
    if (i >= 0) threads.splice(i, 1);
    for (const p of thread.pending.values()) p.reject(err);
    thread.pending.clear();
  };
  worker.on('message', (m: Reply) => {
    if (m.ready === true) {
      thread.ready = true;
      return;
    }
    const p = m.id === undefined ? undefined : thread.pending.get(m.id);
    if (p === undefined) return;
    thread.pending.delete(m.id!);
    if (thread.pending.size === 0) worker.unref();
    if (m.result !== undefined) p.resolve(m.result);
    else p.reject(new Error(`analysis thread: ${m.error ?? 'no result'}`));
  });
  worker.on('error', (err) => drop(err));
  worker.on('exit', (code) => drop(new Error(`analysis thread exited (${code})`)));
  worker.unref(); // after the listeners: adding a 'message' listener refs the worker's port again
  threads.push(thread);
}

/** analyzePixels on the least busy ready thread, or on this thread while none is ready. */
export function analyzeOffThread(
  px: Uint8Array,
  width: number,
  height: number,
  about: About,
): Promise<Result> {
  // A process that analyses one image (a one-shot `darkroom process`) never starts threads.
  if (++calls >= 2) while (!unavailable && threads.length < threadCount) startThread();
  const ready = threads.filter((t) => t.ready).sort((a, b) => a.pending.size - b.pending.size)[0];
  if (ready === undefined) return Promise.resolve(analyzePixels(px, width, height, about));
  const id = nextId++;
  return new Promise<Result>((resolve, reject) => {
    if (ready.pending.size === 0) ready.worker.ref();
    ready.pending.set(id, { resolve, reject });
    ready.worker.postMessage({ id, px, width, height, about });
  });
}

/** Stops the threads (tests; a process exits without it, idle threads do not hold it). */
export async function stopAnalysisThreads(): Promise<void> {
  const stopping = threads.splice(0);
  for (const t of stopping) t.ready = true; // a deliberate stop is not a failure to start
  await Promise.all(stopping.map((t) => t.worker.terminate()));
}

/** Analysis threads started and ready (status and tests). */
export function analysisThreads(): { started: number; ready: number } {
  return { started: threads.length, ready: threads.filter((t) => t.ready).length };
}
