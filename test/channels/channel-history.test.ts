// channelHistory and stateAt over log records: who changed what when, records the replay rules
// ignored, and "as it was" at a seq or at a time (the prefix before the first later record).
import { describe, expect, it } from 'vitest';
import { channelHistory, parseLogPoint, stateAt } from '../../src/channels/channel-history.js';
import { parseChannelSettings } from '../../src/channels/channel-settings.js';
import { given } from '../projections/scenario.js';

const bob = { by: 'cli:bob', inc: 0 };
const ann = { by: 'cli:ann', inc: 0 };

function story() {
  return given((s) => {
    const v1 = parseChannelSettings({ type: 'process' }, 'press');
    s.write(ann, { type: 'ChannelCreated', data: { channel: 'press', settings: v1 } });
    s.channel('web', { type: 'process' });
    const v2 = { ...v1, priority: 70 };
    s.write(bob, {
      type: 'ChannelUpdated',
      data: { channel: 'press', revision: 1, settings: v2, changed: ['priority'] },
    });
    // A stale update (revision 1 again): the replay rules ignore it.
    s.write(ann, {
      type: 'ChannelUpdated',
      data: { channel: 'press', revision: 1, settings: { ...v1, priority: 5 }, changed: ['priority'] },
    });
    s.write(bob, { type: 'ChannelPaused', data: { channel: 'press', reason: 'press run' } });
    s.write(ann, { type: 'ChannelDeleted', data: { channel: 'press', revision: 2 } });
  });
}

describe('channelHistory', () => {
  it('lists every record about the channel with the setting paths it changed, flagging ignored ones', async () => {
    const s = story();
    const h = await channelHistory(s.records, 'press');
    expect(h.map((e) => [e.seq, e.by, e.type, e.revision ?? null, e.ignored ?? false])).toEqual([
      [1, 'cli:ann', 'ChannelCreated', 1, false],
      [3, 'cli:bob', 'ChannelUpdated', 2, false],
      [4, 'cli:ann', 'ChannelUpdated', 2, true],
      [5, 'cli:bob', 'ChannelPaused', 2, false],
      [6, 'cli:ann', 'ChannelDeleted', null, false],
    ]);
    expect(h[0]!.changes.map((c) => c.path)).toContain('inputDir');
    expect(h[1]!.changes).toEqual([{ path: 'priority', before: 50, after: 70 }]);
    expect(h[2]!.changes).toEqual([]);
    expect(h[3]!.reason).toBe('press run');
    expect(await channelHistory(s.records, 'nope')).toEqual([]);
  });
});

describe('stateAt', () => {
  it('at a seq: the projections after that record', async () => {
    const s = story();
    const at3 = await stateAt(s.records, { seq: 3 });
    expect(at3.meta.seq).toBe(3);
    expect(at3.config.channels.get('press')).toMatchObject({
      revision: 2,
      paused: false,
      settings: { priority: 70 },
    });
    expect((await stateAt(s.records, { seq: 6 })).config.channels.has('press')).toBe(false);
  });

  it('at a time: every record before the first one written after it', async () => {
    const s = story();
    const fifth = s.records[4]!;
    const at = await stateAt(s.records, { time: new Date(fifth.ts) });
    expect(at.meta.seq).toBe(5);
    expect(at.config.channels.get('press')?.paused).toBe(true);
    const justBefore = await stateAt(s.records, { time: new Date(Date.parse(fifth.ts) - 1) });
    expect(justBefore.meta.seq).toBe(4);
  });

  it('parses --at as a seq or an ISO time, and refuses anything else', () => {
    expect(parseLogPoint('42')).toEqual({ seq: 42 });
    expect(parseLogPoint('2026-11-25T13:05:00Z')).toEqual({ time: new Date('2026-11-25T13:05:00Z') });
    expect(() => parseLogPoint('last tuesday')).toThrow(/neither a seq/);
  });
});
