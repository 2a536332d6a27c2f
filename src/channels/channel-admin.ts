// Appending a channel decision from a shell (CLI, HTTP): the decision's events with its revision
// conditions, and a refused condition turned into the error a person can act on (who changed
// the channel, when).
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { EventLog } from '../events/event-log.js';
import type { LogRecord } from '../events/log-record.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import { isInside, resolveReal } from '../paths/confined-path.js';
import { channelFolders, parseChannelSettings, type ChannelSettings } from './channel-settings.js';
import { channelConflict, type ChannelDecision } from './decide-channel-change.js';

/**
 * Refuses settings whose input, output, bad and originals folders overlap once symlinks are
 * resolved (realpath where they exist): the decider compares them as written (pure), this is the
 * same rule on the drive, so a folder configured through a symlink or another path to the same
 * place is caught too. E_SETTINGS_INVALID naming both folders and where they lead.
 */
export async function refuseOverlappingRealFolders(
  sharedDir: string,
  channel: string,
  settings: ChannelSettings,
): Promise<void> {
  const folders = Object.entries(channelFolders(sharedDir, settings)).filter(([k]) => k !== 'stamp.routeDir');
  const real = await Promise.all(folders.map(([, f]) => resolveReal(f)));
  for (let i = 0; i < folders.length; i++) {
    for (let j = i + 1; j < folders.length; j++) {
      const a = real[i]!;
      const b = real[j]!;
      if (!isInside(a, b) && !isInside(b, a)) continue;
      const [ka, wa] = folders[i]!;
      const [kb, wb] = folders[j]!;
      throw new DarkroomError('E_SETTINGS_INVALID', {
        field: `channel ${channel}: ${ka}`,
        path: ka,
        where: `channel ${channel}`,
        detail: `${ka} (${wa}, really ${a}) and ${kb} (${wb}, really ${b}) overlap once symlinks are resolved: the same folder, or one inside the other; give each its own folder`,
      });
    }
  }
}

/**
 * Appends a channel decision. Folders that overlap on the drive are refused first
 * (refuseOverlappingRealFolders). A refused revision condition (someone changed the channel between
 * our read and our write) becomes E_CHANNEL_CONFLICT naming who changed it and when, E_CHANNEL_EXISTS
 * or E_CHANNEL_UNKNOWN.
 */
export async function appendChannelDecision(
  log: EventLog<ProjectionState>,
  decision: ChannelDecision,
): Promise<readonly LogRecord[]> {
  if (decision.events.length === 0) return [];
  for (const e of decision.events) {
    if (e.type === 'ChannelCreated' || e.type === 'ChannelUpdated')
      await refuseOverlappingRealFolders(
        log.sharedDir,
        e.data.channel,
        parseChannelSettings(e.data.settings, e.data.channel),
      );
  }
  try {
    return await log.append(decision.events, { conditions: decision.conditions });
  } catch (err) {
    if (!isDarkroomError(err, 'E_LOG_CONDITION_FAILED')) throw err;
    const failed = darkroomProjector.check(log.state, decision.conditions)?.condition;
    if (failed?.kind !== 'channelRevision') throw err;
    const view = log.state.config.channels.get(failed.channel);
    if (view === undefined)
      throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: failed.channel }, { cause: err });
    if (failed.revision === 0)
      throw new DarkroomError('E_CHANNEL_EXISTS', { name: failed.channel }, { cause: err });
    throw channelConflict(view, failed.revision);
  }
}
