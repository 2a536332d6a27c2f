// Appending a channel decision from a shell (CLI, HTTP): the decision's events with its revision
// conditions, and a refused condition turned into the error a person can act on (who changed
// the channel, when).
import { DarkroomError, isDarkroomError } from '../errors/darkroom-error.js';
import type { EventLog } from '../events/event-log.js';
import type { LogRecord } from '../events/log-record.js';
import { darkroomProjector } from '../projections/projector.js';
import type { ProjectionState } from '../projections/state.js';
import { channelConflict, type ChannelDecision } from './decide-channel-change.js';

/**
 * Appends a channel decision. A refused revision condition (someone changed the channel between
 * our read and our write) becomes E_CHANNEL_CONFLICT naming who changed it and when, E_CHANNEL_EXISTS
 * or E_CHANNEL_UNKNOWN.
 */
export async function appendChannelDecision(
  log: EventLog<ProjectionState>,
  decision: ChannelDecision,
): Promise<readonly LogRecord[]> {
  if (decision.events.length === 0) return [];
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
