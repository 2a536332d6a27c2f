// The config projection: channels with revisions, pause and standby, users, global settings.
import { describe, expect, it } from 'vitest';
import { cli, given } from './scenario.js';

describe('config projection: channels', () => {
  it('a created channel is at revision 1 with its settings, not paused', () => {
    const s = given((s) => s.channel('press', { priority: 70 }));
    const ch = s.state.config.channels.get('press');
    expect(ch).toMatchObject({ name: 'press', revision: 1, settings: { priority: 70 }, paused: false });
    expect(ch?.created).toEqual(ch?.updated);
    expect(Object.isFrozen(ch)).toBe(true);
    expect(Object.isFrozen(ch?.settings)).toBe(true);
  });

  it('creating an existing channel is ignored and counted', () => {
    const s = given((s) => {
      s.channel('press', { priority: 70 });
      s.channel('press', { priority: 10 });
    });
    expect(s.state.config.channels.get('press')?.settings).toEqual({ priority: 70 });
    expect(s.ignored('ChannelCreated')).toBe(1);
  });

  it('an update against the current revision applies and bumps the revision', () => {
    const s = given((s) => {
      s.channel('press');
      s.write(
        { by: 'cli:bob', inc: 0 },
        {
          type: 'ChannelUpdated',
          data: { channel: 'press', revision: 1, settings: { priority: 90 }, changed: ['priority'] },
        },
      );
    });
    expect(s.state.config.channels.get('press')).toMatchObject({
      revision: 2,
      settings: { priority: 90 },
      created: { seq: 1, by: 'cli:ann' },
      updated: { seq: 2, by: 'cli:bob' },
    });
  });

  it('an update against a stale revision is ignored and counted, the channel untouched', () => {
    const s = given((s) => {
      s.channel('press');
      s.write(cli, {
        type: 'ChannelUpdated',
        data: { channel: 'press', revision: 1, settings: { a: 1 }, changed: ['a'] },
      });
    });
    const before = s.state.config.channels.get('press');
    s.write(cli, {
      type: 'ChannelUpdated',
      data: { channel: 'press', revision: 1, settings: { a: 2 }, changed: ['a'] },
    });
    expect(s.state.config.channels.get('press')).toBe(before);
    expect(s.ignored('ChannelUpdated')).toBe(1);
  });

  it('delete needs the current revision; afterwards the name can be created again at revision 1', () => {
    const s = given((s) => {
      s.channel('press');
      s.write(cli, { type: 'ChannelDeleted', data: { channel: 'press', revision: 7 } });
      expect(s.state.config.channels.has('press')).toBe(true);
      s.write(cli, { type: 'ChannelDeleted', data: { channel: 'press', revision: 1 } });
      expect(s.state.config.channels.has('press')).toBe(false);
      s.channel('press', { v: 2 });
    });
    expect(s.state.config.channels.get('press')).toMatchObject({ revision: 1, settings: { v: 2 } });
    expect(s.ignored('ChannelDeleted')).toBe(1);
  });

  it('pause records reason and who; resume clears both; the revision does not move', () => {
    const s = given((s) => {
      s.channel('press');
      s.write(cli, { type: 'ChannelPaused', data: { channel: 'press', reason: 'printer down' } });
      expect(s.state.config.channels.get('press')).toMatchObject({
        paused: true,
        pauseReason: 'printer down',
        pausedAt: { seq: 2, by: 'cli:ann' },
        revision: 1,
      });
      s.write(cli, { type: 'ChannelResumed', data: { channel: 'press' } });
    });
    const ch = s.state.config.channels.get('press');
    expect(ch?.paused).toBe(false);
    expect(ch).not.toHaveProperty('pauseReason');
    expect(ch).not.toHaveProperty('pausedAt');
  });

  it('standby is set and cleared by the coordinator only', () => {
    const s = given((s) => {
      const a = s.start('a');
      const b = s.start('b');
      s.elect(a);
      s.channel('press');
      s.write(b, { type: 'ChannelStandbyEntered', data: { channel: 'press', reason: 'ENOENT /mnt/in' } });
      expect(s.state.config.channels.get('press')?.standby).toBeUndefined();
      s.write(a, { type: 'ChannelStandbyEntered', data: { channel: 'press', reason: 'ENOENT /mnt/in' } });
      expect(s.state.config.channels.get('press')?.standby).toBe('ENOENT /mnt/in');
      s.write(a, { type: 'ChannelStandbyLeft', data: { channel: 'press' } });
    });
    expect(s.state.config.channels.get('press')).not.toHaveProperty('standby');
    expect(s.ignored('ChannelStandbyEntered')).toBe(1);
  });

  it('a channel change keeps the identity of everything else', () => {
    const s = given((s) => {
      s.channel('press');
      s.channel('web');
      s.elect(s.start('a'));
    });
    const before = s.state;
    s.write(cli, { type: 'ChannelPaused', data: { channel: 'press', reason: 'x' } });
    expect(s.state.config.channels.get('web')).toBe(before.config.channels.get('web'));
    expect(s.state.config.users).toBe(before.config.users);
    expect(s.state.jobs).toBe(before.jobs);
    expect(s.state.cluster).toBe(before.cluster);
  });
});

describe('config projection: users and settings', () => {
  it('users are added once, changed and removed only when they exist', () => {
    const s = given((s) => {
      s.write(cli, { type: 'UserAdded', data: { user: 'ann', role: 'admin' } });
      s.write(cli, { type: 'UserAdded', data: { user: 'ann', role: 'viewer' } });
      s.write(cli, { type: 'UserChanged', data: { user: 'bob', role: 'viewer' } });
      s.write(cli, { type: 'UserAdded', data: { user: 'bob', role: 'operator' } });
      s.write(cli, { type: 'UserChanged', data: { user: 'bob', role: 'viewer' } });
      s.write(cli, { type: 'UserRemoved', data: { user: 'ann' } });
      s.write(cli, { type: 'UserRemoved', data: { user: 'ann' } });
    });
    expect(s.state.config.users.toJS()).toEqual({ bob: { user: 'bob', role: 'viewer' } });
    expect(s.ignored('UserAdded') + s.ignored('UserChanged') + s.ignored('UserRemoved')).toBe(3);
  });

  it('a setting is set, replaced, and unset by a change without a value', () => {
    const s = given((s) => {
      s.write(cli, { type: 'SettingChanged', data: { key: 'retention.days', value: 30 } });
      s.write(cli, { type: 'SettingChanged', data: { key: 'retention.days', value: 60 } });
      s.write(cli, { type: 'SettingChanged', data: { key: 'ui.theme', value: 'dark' } });
      s.write(cli, { type: 'SettingChanged', data: { key: 'ui.theme', value: undefined } });
    });
    expect(s.state.config.settings.toJS()).toEqual({ 'retention.days': 60 });
  });
});
