// Channel export and the import plan: the document round-trips, a plan creates what is missing,
// updates what differs under revision conditions, matches paused state, and leaves others alone.
import { describe, expect, it } from 'vitest';
import { exportChannels, parseChannelExport, planImport } from '../../src/channels/channel-export.js';
import { parseChannelSettings } from '../../src/channels/channel-settings.js';
import { cli, given } from '../projections/scenario.js';

const settings = (extra: Record<string, unknown> = {}) =>
  parseChannelSettings({ type: 'process', ...extra }, 'x');

function drive() {
  return given((s) => {
    s.channel('press', { ...parseChannelSettings({ type: 'process', group: 'news' }, 'press') });
    s.channel('web', { ...parseChannelSettings({ type: 'process' }, 'web') });
    s.write(cli, { type: 'ChannelPaused', data: { channel: 'web', reason: 'site down' } });
  });
}

describe('exportChannels / parseChannelExport', () => {
  it('exports every channel sorted, with settings and paused state; a group filter narrows it', () => {
    const doc = exportChannels(drive().state, { exportedAt: '2026-11-25T13:00:00Z' });
    expect(doc).toMatchObject({ format: 'darkroom-channels', version: 1, seq: 3 });
    expect(doc.channels.map((c) => [c.name, c.paused, c.pauseReason ?? null])).toEqual([
      ['press', false, null],
      ['web', true, 'site down'],
    ]);
    expect(parseChannelExport(JSON.parse(JSON.stringify(doc)), 'f.json')).toEqual(doc);
    const news = exportChannels(drive().state, { exportedAt: 'now', group: 'news' });
    expect(news.channels.map((c) => c.name)).toEqual(['press']);
  });

  it('refuses a document naming a channel twice or carrying bad settings, naming file and field', () => {
    const doc = exportChannels(drive().state, { exportedAt: 'now' });
    const twice = { ...doc, channels: [doc.channels[0], doc.channels[0]] };
    expect(() => parseChannelExport(twice, 'f.json')).toThrow(/f\.json: channel press: is listed twice/);
    const bad = {
      ...doc,
      channels: [{ ...doc.channels[0], settings: { type: 'process', priority: 'high' } }],
    };
    expect(() => parseChannelExport(bad, 'f.json')).toThrow(
      /f\.json: channel press: priority: must be number/,
    );
    expect(() => parseChannelExport({ format: 'other' }, 'f.json')).toThrow(/f\.json: format/);
  });
});

describe('planImport', () => {
  it('into an empty drive: creates every channel (and pauses the paused ones) on revision 0 conditions', () => {
    const doc = exportChannels(drive().state, { exportedAt: 'now' });
    const empty = given(() => undefined);
    const plan = planImport(empty.state, doc);
    expect(plan.events.map((e) => e.type)).toEqual(['ChannelCreated', 'ChannelCreated', 'ChannelPaused']);
    expect(plan.conditions).toEqual([
      { kind: 'channelRevision', channel: 'press', revision: 0 },
      { kind: 'channelRevision', channel: 'web', revision: 0 },
    ]);
    expect(plan.report).toMatchObject({ created: ['press', 'web'], paused: ['web'], unchanged: [] });
    expect(empty.append(cli, plan.events, plan.conditions)).toBeUndefined();
    expect(exportChannels(empty.state, { exportedAt: 'now' }).channels).toEqual(doc.channels);
  });

  it('on a drive that moved on: updates changed settings, resumes, leaves unknown channels alone', () => {
    const doc = exportChannels(drive().state, { exportedAt: 'now' });
    const s = drive();
    s.channel('extra', { ...settings() });
    s.write(cli, {
      type: 'ChannelUpdated',
      data: {
        channel: 'press',
        revision: 1,
        settings: { ...s.state.config.channels.get('press')!.settings, priority: 10 },
        changed: ['priority'],
      },
    });
    s.write(cli, { type: 'ChannelResumed', data: { channel: 'web' } });
    const plan = planImport(s.state, doc);
    expect(plan.report).toMatchObject({
      created: [],
      updated: [{ name: 'press', changed: ['priority'] }],
      paused: ['web'],
      unchanged: [],
      notInFile: ['extra'],
    });
    expect(plan.conditions).toEqual([
      { kind: 'channelRevision', channel: 'press', revision: 2 },
      { kind: 'channelRevision', channel: 'web', revision: 1 },
    ]);
    // Someone edits press meanwhile: the whole import is refused.
    const stale = planImport(s.state, doc);
    s.write(cli, {
      type: 'ChannelUpdated',
      data: {
        channel: 'press',
        revision: 2,
        settings: { ...s.state.config.channels.get('press')!.settings, priority: 20 },
        changed: ['priority'],
      },
    });
    expect(s.append(cli, stale.events, stale.conditions)?.condition).toEqual({
      kind: 'channelRevision',
      channel: 'press',
      revision: 2,
    });
    expect(s.state.config.channels.get('web')?.paused).toBe(false);
  });
});
