// The bench's server process: an HTTP server over the log on DIR (as an instance serves it), plus
// a heartbeat timer of the instance's kind that records how late each beat fires. Prints
// "listening PORT" on stdout; on SIGTERM prints the heartbeat figures as JSON and exits.
import { EventLog } from '../../src/events/event-log.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { silentLogger } from '../../src/logger.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import type { ProjectionState } from '../../src/projections/state.js';

const dir = process.argv[2]!;
const heartbeatMs = Number(process.argv[3] ?? 1000);
const log = await EventLog.open<ProjectionState>({
  sharedDir: dir,
  writer: { by: 'bench', inc: 0 },
  projector: darkroomProjector,
  snapshotEvery: 0,
});
log.startFollowing();
const http = await createHttpServer({
  log,
  conf: {
    sharedDir: dir,
    secret: 'bench-secret-0123456789',
    maxUploadBytes: 50 * 1024 * 1024,
    sessionTtlMs: 3_600_000,
  },
  instanceId: 'bench',
  logger: silentLogger,
});
const port = await http.listen(0, '127.0.0.1');

let expected = performance.now() + heartbeatMs;
let beats = 0;
let maxLateMs = 0;
let lateOverHalf = 0;
const timer = setInterval(() => {
  const late = performance.now() - expected;
  beats++;
  maxLateMs = Math.max(maxLateMs, late);
  if (late > heartbeatMs / 2) lateOverHalf++;
  expected += heartbeatMs;
}, heartbeatMs);

process.stdout.write(`listening ${port}\n`);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ beats, maxLateMs, lateOverHalf, heartbeatMs })}\n`);
  void http.stop().then(async () => {
    await log.stop();
    process.exit(0);
  });
});
