// The bench's channel: one `process` channel created through the bench's own log writer.
import type { EventLog } from '../../src/events/event-log.js';
import { parseChannelSettings } from '../../src/channels/channel-settings.js';
import type { ProjectionState } from '../../src/projections/state.js';

export async function putChannel(log: EventLog<ProjectionState>, name: string): Promise<void> {
  const settings = parseChannelSettings(
    { type: 'process', fileReadyDelayMs: 100 },
    name,
  ) as unknown as Record<string, unknown>;
  await log.append([{ type: 'ChannelCreated', data: { channel: name, settings } }], {
    conditions: [{ kind: 'channelRevision', channel: name, revision: 0 }],
  });
}
