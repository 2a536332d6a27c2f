// Worker thread entry of analysis-thread.ts: loads the TypeScript sources through tsx (a worker
// does not inherit the main thread's loader) and answers { id, px, width, height, about } with
// analysis.ts's analyzePixels result.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { analyzePixels } = await import('./analysis.ts');

parentPort.on('message', (m) => {
  try {
    const result = analyzePixels(m.px, m.width, m.height, m.about);
    parentPort.postMessage({ id: m.id, result });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
