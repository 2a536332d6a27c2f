// bench/log helper: opens the log in a fresh process (no heap left over from earlier runs) and
// prints how long EventLog.open took. Usage: open-timed.ts SHARED_DIR test|darkroom
import { EventLog } from '../../src/events/event-log.js';
import type { Projector } from '../../src/events/projector.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import { testProjector } from '../../test/events/test-projector.js';

async function timed<S>(sharedDir: string, projector: Projector<S>): Promise<void> {
  const t = performance.now();
  const c = process.cpuUsage();
  const log = await EventLog.open({
    sharedDir,
    writer: { by: 'bench', inc: 0 },
    projector,
    snapshotEvery: 0,
    // BENCH_LOG_WORKER=0: replay in this thread only (compare with the worker split).
    ...(process.env['BENCH_LOG_WORKER'] === '0' ? { replayWorkerMinSegments: Infinity } : {}),
  });
  const ms = performance.now() - t;
  const used = process.cpuUsage(c);
  const cpuMs = (used.user + used.system) / 1000;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs, seq: log.seq })}\n`);
  await log.stop();
}

const [sharedDir, which] = process.argv.slice(2);
if (which === 'darkroom') await timed(sharedDir!, darkroomProjector);
else await timed(sharedDir!, testProjector);
