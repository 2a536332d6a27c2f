// The old product's failure, with real processes: a channel is changed through B, A is stopped,
// then B, then A is started first and B after it. The instance started first used to push its
// older database onto the others; here the log decides, so B's change holds on both.
import { afterEach, describe, expect, it } from 'vitest';
import { darkroom, darkroomJson } from '../channels/cli-harness.js';
import { putChannel } from '../../fixtures/instance-drive.js';
import { makeCluster, running, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

describe('restart order', () => {
  it('change a channel through B, stop A, then B, start A first, then B: B’s change holds', async () => {
    const c = (cluster = await makeCluster(['a', 'b']));
    await putChannel(c.drive.shared, 'press', { type: 'process', priority: 50 });
    for (const id of c.ids) await running(c.start(id), `${id} running`);
    const set = await darkroom([
      'channel',
      'set',
      'press',
      '--set',
      'priority=77',
      '--shared',
      c.views.get('b')!,
    ]);
    expect(set.code, set.err).toBe(0);

    for (const id of ['a', 'b']) {
      c.proc(id).signal('SIGTERM');
      expect(await c.proc(id).exited).toBe(0);
    }
    for (const id of ['a', 'b']) await running(c.start(id), `${id} running again`);

    for (const id of ['a', 'b']) {
      const shown = await darkroomJson<{ channel: { revision: number; settings: { priority: number } } }>([
        'channel',
        'show',
        'press',
        '--shared',
        c.views.get(id)!,
      ]);
      expect(shown.channel.settings.priority, id).toBe(77);
      expect(shown.channel.revision, id).toBe(2);
    }
    // Both stop cleanly; the log holds one change of the channel, the one made through B.
    for (const id of ['a', 'b']) c.proc(id).signal('SIGTERM');
    for (const id of ['a', 'b']) expect(await c.proc(id).exited).toBe(0);
    const records = await c.records();
    expect(records.filter((r) => r.type === 'ChannelUpdated').map((r) => r.by)).toEqual(['cli:ann']);
  });
});
