// Smoke test of the log with the real projections (darkroomProjector): conditions, snapshot + tail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initLog } from '../../src/events/log-init.js';
import { EventLog } from '../../src/events/event-log.js';
import { verifyLog } from '../../src/events/log-reader.js';
import { darkroomProjector } from '../../src/projections/projector.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const open = (sharedDir: string, by: string) =>
  EventLog.open({ sharedDir, writer: { by, inc: 0 }, projector: darkroomProjector, snapshotEvery: 0 });

describe('the event log with darkroomProjector', () => {
  it('fences an election by term, and snapshot + tail equals a full replay', async () => {
    dir = await mkdtemp(join(tmpdir(), 'darkroom-real-'));
    await initLog(dir);
    const log = await open(dir, 'press1');
    const [started] = await log.append([
      {
        type: 'InstanceStarted',
        data: {
          instanceId: 'press1',
          host: 'h',
          pid: 1,
          version: '0.1.0',
          slots: 2,
          confHash: 'x',
          formatLevel: 1,
        },
      },
    ]);
    log.setWriter('press1', started!.seq);
    const election = {
      type: 'CoordinatorElected',
      data: { instanceId: 'press1', inc: started!.seq, term: 1 },
    } as const;
    await log.append([election], { conditions: [{ kind: 'term', term: 0 }] });
    expect(log.state.cluster.term).toBe(1);
    await expect(log.append([election], { conditions: [{ kind: 'term', term: 0 }] })).rejects.toMatchObject({
      code: 'E_LOG_CONDITION_FAILED',
    });
    await log.append([{ type: 'ChannelCreated', data: { channel: 'news', settings: { quality: 90 } } }], {
      conditions: [{ kind: 'channelRevision', channel: 'news', revision: 0 }],
    });
    await log.writeSnapshot();
    await log.append([{ type: 'OperatorNote', data: { author: 'ann', text: 'after the snapshot' } }]);
    expect(log.seq).toBe(4);

    const reopened = await open(dir, 'press2');
    expect(reopened.seq).toBe(4);
    expect(darkroomProjector.toSnapshot(reopened.state)).toEqual(darkroomProjector.toSnapshot(log.state));
    expect(await verifyLog(dir)).toEqual({ ok: true, lastSeq: 4 });
    await reopened.stop();
    await log.stop();
  });
});
