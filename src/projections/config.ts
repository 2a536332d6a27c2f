// The config projection: channels (settings, revision, paused, standby), users and roles, and
// global settings. Pure reducer; the replay rules decide beforehand whether a record applies.
import { Map as IMap } from 'immutable';
import { assertNever } from '../assert-never.js';
import type { LogRecord } from '../events/log-record.js';
import type { ChannelView, ConfigState, TokenView, UserView } from './state.js';
import { defined, revise, stampOf } from './views.js';

export function initialConfig(): ConfigState {
  return Object.freeze({
    channels: IMap<string, ChannelView>(),
    users: IMap<string, UserView>(),
    settings: IMap<string, unknown>(),
  });
}

/**
 * Pure: the config projection after `record`. Expects the replay rules (apply-record.ts) to have
 * accepted the record; an event that does not concern config returns `config` itself. The maps
 * may be mutable (applyBatch): only their return values are used, and reads come before writes.
 */
export function reduceConfig(config: ConfigState, record: LogRecord): ConfigState {
  switch (record.type) {
    case 'ChannelCreated': {
      const stamp = stampOf(record);
      const view: ChannelView = Object.freeze({
        name: record.data.channel,
        revision: 1,
        settings: Object.freeze({ ...record.data.settings }),
        paused: false,
        created: stamp,
        updated: stamp,
      });
      return withChannel(config, view);
    }
    case 'ChannelUpdated':
      return reviseChannel(config, record.data.channel, (ch) =>
        revise(ch, {
          revision: ch.revision + 1,
          settings: Object.freeze({ ...record.data.settings }),
          updated: stampOf(record),
        }),
      );
    case 'ChannelDeleted':
      return revise(config, { channels: config.channels.delete(record.data.channel) });
    case 'ChannelPaused':
      return reviseChannel(config, record.data.channel, (ch) =>
        revise(ch, { paused: true, pauseReason: record.data.reason, pausedAt: stampOf(record) }),
      );
    case 'ChannelResumed':
      return reviseChannel(config, record.data.channel, (ch) =>
        revise(ch, { paused: false }, ['pauseReason', 'pausedAt']),
      );
    case 'ChannelStandbyEntered':
      return reviseChannel(config, record.data.channel, (ch) => revise(ch, { standby: record.data.reason }));
    case 'ChannelStandbyLeft':
      return reviseChannel(config, record.data.channel, (ch) => revise(ch, {}, ['standby']));
    case 'UserAdded': {
      const d = record.data;
      const user: UserView = defined({ user: d.user, role: d.role, passwordHash: d.passwordHash });
      return revise(config, { users: config.users.set(user.user, user) });
    }
    case 'UserChanged':
      return reviseUser(config, record.data.user, (u) =>
        revise(
          u,
          record.data.passwordHash === undefined
            ? { role: record.data.role }
            : { role: record.data.role, passwordHash: record.data.passwordHash },
        ),
      );
    case 'TokenCreated': {
      const d = record.data;
      const token: TokenView = Object.freeze({
        tokenId: d.tokenId,
        hash: d.hash,
        label: d.label,
        created: stampOf(record),
      });
      return reviseUser(config, d.user, (u) =>
        revise(u, { tokens: Object.freeze([...(u.tokens ?? []), token]) }),
      );
    }
    case 'TokenRevoked':
      return reviseUser(config, record.data.user, (u) =>
        revise(u, {
          tokens: Object.freeze((u.tokens ?? []).filter((t) => t.tokenId !== record.data.tokenId)),
        }),
      );
    case 'UserRemoved':
      return revise(config, { users: config.users.delete(record.data.user) });
    case 'SettingChanged': {
      // No value (JSON has no `undefined`) unsets the key, so snapshots round-trip exactly.
      const { key, value } = record.data;
      const settings = value === undefined ? config.settings.delete(key) : config.settings.set(key, value);
      return revise(config, { settings });
    }
    case 'InstanceStarted':
    case 'InstanceStopping':
    case 'InstanceStopped':
    case 'InstanceLost':
    case 'CoordinatorElected':
    case 'BatchRepaired':
    case 'OperatorNote':
    case 'JobSubmitted':
    case 'JobAssigned':
    case 'JobStarted':
    case 'JobCompleted':
    case 'JobFailed':
    case 'JobReviewRequested':
    case 'JobApproved':
    case 'JobRejected':
    case 'JobReleased':
    case 'JobRetried':
    case 'JobCancelled':
    case 'FilesPurged':
      return config;
    default:
      return assertNever(record, 'event');
  }
}

function reviseUser(config: ConfigState, name: string, change: (u: UserView) => UserView): ConfigState {
  const u = config.users.get(name);
  return u === undefined ? config : revise(config, { users: config.users.set(name, change(u)) });
}

function withChannel(config: ConfigState, view: ChannelView): ConfigState {
  return revise(config, { channels: config.channels.set(view.name, view) });
}

function reviseChannel(
  config: ConfigState,
  name: string,
  change: (ch: ChannelView) => ChannelView,
): ConfigState {
  const ch = config.channels.get(name);
  return ch === undefined ? config : withChannel(config, change(ch));
}
