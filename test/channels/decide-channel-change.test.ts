// decideChannelChange: given the channel events so far, when an admin command, then the events
// and the revision conditions; applied through the real projector and checked by it.
import { describe, expect, it } from 'vitest';
import { parseChannelSettings } from '../../src/channels/channel-settings.js';
import {
  channelsInGroup,
  decideChannelChange,
  decideChannelChanges,
  type ChannelCommand,
} from '../../src/channels/decide-channel-change.js';
import type { ErrorCode } from '../../src/errors/catalogue.js';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { cli, given, type Scenario } from '../projections/scenario.js';
import { initialState } from '../../src/projections/initial-state.js';

const bob = { by: 'cli:bob', inc: 0 };

function create(s: Scenario, name: string, settings: Record<string, unknown> = { type: 'process' }): void {
  const d = decideChannelChange(s.state, { kind: 'create', channel: name, settings });
  expect(s.append(cli, d.events, d.conditions)).toBeUndefined();
}

function refusedWith(s: Scenario, command: ChannelCommand, code: ErrorCode): string {
  try {
    decideChannelChange(s.state, command);
  } catch (err) {
    if (isDarkroomError(err, code)) return err.message;
    throw err;
  }
  throw new Error(`decided ${JSON.stringify(command)}`);
}

describe('decideChannelChange: create', () => {
  it('creates with the validated settings, on condition the channel does not exist', () => {
    const s = given(() => undefined);
    const d = decideChannelChange(s.state, {
      kind: 'create',
      channel: 'press',
      settings: { type: 'process' },
    });
    expect(d.events).toEqual([
      {
        type: 'ChannelCreated',
        data: { channel: 'press', settings: parseChannelSettings({ type: 'process' }, 'press') },
      },
    ]);
    expect(d.conditions).toEqual([{ kind: 'channelRevision', channel: 'press', revision: 0 }]);
    s.append(cli, d.events, d.conditions);
    expect(s.state.config.channels.get('press')?.revision).toBe(1);
  });

  it('refuses an existing name and invalid settings', () => {
    const s = given((s) => create(s, 'press'));
    expect(
      refusedWith(s, { kind: 'create', channel: 'press', settings: { type: 'process' } }, 'E_CHANNEL_EXISTS'),
    ).toContain('press');
    expect(
      refusedWith(
        s,
        { kind: 'create', channel: 'web', settings: { type: 'process', priority: 200 } },
        'E_SETTINGS_INVALID',
      ),
    ).toContain('channel web: priority: must be <= 100');
  });

  it('a second create decided on the same old state is refused by the condition', () => {
    const s = given(() => undefined);
    const old = s.state;
    create(s, 'press');
    const d = decideChannelChange(old, { kind: 'create', channel: 'press', settings: { type: 'process' } });
    expect(s.append(bob, d.events, d.conditions)?.detail).toMatch(
      /channel press exists \(revision 1, created by cli:ann/,
    );
  });
});

describe('decideChannelChange: update', () => {
  it('merges a patch, names the changed paths, on condition of the revision read', () => {
    const s = given((s) => create(s, 'press'));
    const d = decideChannelChange(s.state, {
      kind: 'update',
      channel: 'press',
      patch: { priority: 80, pipeline: { output: { jpegQuality: 70 } } },
    });
    expect(d.events).toHaveLength(1);
    const e = d.events[0]!;
    expect(e.type).toBe('ChannelUpdated');
    if (e.type !== 'ChannelUpdated') return;
    expect(e.data.revision).toBe(1);
    expect(e.data.changed).toEqual(['pipeline.output.jpegQuality', 'priority']);
    expect(e.data.settings).toMatchObject({ priority: 80, inputDir: 'hotfolders/press/in' });
    expect(d.conditions).toEqual([{ kind: 'channelRevision', channel: 'press', revision: 1 }]);
    s.append(cli, d.events, d.conditions);
    expect(s.state.config.channels.get('press')).toMatchObject({ revision: 2, settings: { priority: 80 } });
  });

  it('decides nothing when the patch changes nothing', () => {
    const s = given((s) => create(s, 'press'));
    expect(
      decideChannelChange(s.state, { kind: 'update', channel: 'press', patch: { priority: 50 } }),
    ).toEqual({
      events: [],
      conditions: [],
    });
  });

  it('null in a patch unsets an optional setting; replacing settings may change the type', () => {
    const s = given((s) => create(s, 'press', { type: 'process', group: 'news' }));
    const d = decideChannelChange(s.state, { kind: 'update', channel: 'press', patch: { group: null } });
    expect(d.events[0]?.type === 'ChannelUpdated' && d.events[0].data.changed).toEqual(['group']);
    const r = decideChannelChange(s.state, {
      kind: 'update',
      channel: 'press',
      settings: { type: 'purging', folder: 'x', rules: { maxFiles: 1 } },
    });
    expect(r.events[0]?.type === 'ChannelUpdated' && r.events[0].data.settings['type']).toBe('purging');
  });

  it('an expected revision that is not the current one is a conflict naming who changed it and when', () => {
    const s = given((s) => create(s, 'press'));
    const mine = s.state.config.channels.get('press')!.revision;
    const theirs = decideChannelChange(s.state, {
      kind: 'update',
      channel: 'press',
      patch: { priority: 10 },
    });
    s.append(bob, theirs.events, theirs.conditions);
    const msg = refusedWith(
      s,
      { kind: 'update', channel: 'press', patch: { priority: 90 }, expectedRevision: mine },
      'E_CHANNEL_CONFLICT',
    );
    expect(msg).toBe(
      `channel press was changed by cli:bob at ${s.records.at(-1)!.ts} (revision 2, you edited 1)`,
    );
  });

  it('an update decided on an old state is refused by the log condition', () => {
    const s = given((s) => create(s, 'press'));
    const old = s.state;
    const theirs = decideChannelChange(s.state, {
      kind: 'update',
      channel: 'press',
      patch: { priority: 10 },
    });
    s.append(bob, theirs.events, theirs.conditions);
    const mine = decideChannelChange(old, { kind: 'update', channel: 'press', patch: { priority: 90 } });
    expect(s.append(cli, mine.events, mine.conditions)?.detail).toMatch(/revision 2, changed by cli:bob/);
  });

  it('refuses a patch that changes the type, pointing to a full replacement', () => {
    const s = given((s) => create(s, 'press'));
    expect(
      refusedWith(s, { kind: 'update', channel: 'press', patch: { type: 'purging' } }, 'E_SETTINGS_INVALID'),
    ).toContain('channel press: type: a patch cannot change the type');
  });

  it('refuses an unknown channel and invalid merged settings', () => {
    const s = given((s) => create(s, 'press'));
    refusedWith(s, { kind: 'update', channel: 'web', patch: {} }, 'E_CHANNEL_UNKNOWN');
    expect(
      refusedWith(
        s,
        { kind: 'update', channel: 'press', patch: { workflow: 'maybe' } },
        'E_SETTINGS_INVALID',
      ),
    ).toContain('workflow: must be one of');
  });
});

describe('decideChannelChange: delete, pause, resume', () => {
  it('deletes at the revision read; refuses while jobs are open unless forced', () => {
    const s = given((s) => {
      create(s, 'press');
      s.submit('j1', 'press');
    });
    expect(refusedWith(s, { kind: 'delete', channel: 'press' }, 'E_CHANNEL_BUSY')).toContain('1 open jobs');
    const d = decideChannelChange(s.state, { kind: 'delete', channel: 'press', force: true });
    expect(d.events).toEqual([{ type: 'ChannelDeleted', data: { channel: 'press', revision: 1 } }]);
    expect(d.conditions).toEqual([{ kind: 'channelRevision', channel: 'press', revision: 1 }]);
    s.append(cli, d.events, d.conditions);
    expect(s.state.config.channels.has('press')).toBe(false);
  });

  it('pauses with a reason and resumes; repeating either decides nothing', () => {
    const s = given((s) => create(s, 'press'));
    const p = decideChannelChange(s.state, { kind: 'pause', channel: 'press', reason: 'press run' });
    expect(p.events).toEqual([{ type: 'ChannelPaused', data: { channel: 'press', reason: 'press run' } }]);
    s.append(cli, p.events, p.conditions);
    expect(s.state.config.channels.get('press')).toMatchObject({ paused: true, pauseReason: 'press run' });
    expect(decideChannelChange(s.state, { kind: 'pause', channel: 'press', reason: 'again' }).events).toEqual(
      [],
    );
    const r = decideChannelChange(s.state, { kind: 'resume', channel: 'press' });
    expect(r.events).toEqual([{ type: 'ChannelResumed', data: { channel: 'press' } }]);
    s.append(cli, r.events, r.conditions);
    expect(s.state.config.channels.get('press')?.paused).toBe(false);
    expect(decideChannelChange(s.state, { kind: 'resume', channel: 'press' }).events).toEqual([]);
  });
});

describe('decideChannelChanges: groups', () => {
  it('pauses every channel of a group in one batch, each on its own revision', () => {
    const s = given((s) => {
      create(s, 'a', { type: 'process', group: 'news' });
      create(s, 'b', { type: 'process', group: 'news' });
      create(s, 'c', { type: 'process', group: 'ads' });
    });
    const names = channelsInGroup(s.state, 'news');
    expect(names).toEqual(['a', 'b']);
    const d = decideChannelChanges(
      s.state,
      names.map((channel) => ({ kind: 'pause', channel, reason: 'maintenance' })),
    );
    expect(d.events.map((e) => e.type)).toEqual(['ChannelPaused', 'ChannelPaused']);
    expect(d.conditions).toHaveLength(2);
    s.append(cli, d.events, d.conditions);
    expect([...s.state.config.channels.values()].filter((c) => c.paused).map((c) => c.name)).toEqual([
      'a',
      'b',
    ]);
  });

  it('refuses naming one channel twice', () => {
    const s = given((s) => create(s, 'a'));
    expect(() =>
      decideChannelChanges(s.state, [
        { kind: 'pause', channel: 'a', reason: 'x' },
        { kind: 'resume', channel: 'a' },
      ]),
    ).toThrow(/named twice/);
  });
});

describe('overlapping channel folders (issue 14, item 4)', () => {
  it('refuses an output folder equal to or inside the input folder, naming both', () => {
    for (const outputDir of ['hotfolders/loop/in', 'hotfolders/loop/in/out']) {
      expect(() =>
        decideChannelChange(initialState(), {
          kind: 'create',
          channel: 'loop',
          settings: { type: 'process', inputDir: 'hotfolders/loop/in', outputDir },
        }),
      ).toThrow(/inputDir \(hotfolders\/loop\/in\) and outputDir \(hotfolders\/loop\/in(\/out)?\) overlap/);
    }
  });
});
