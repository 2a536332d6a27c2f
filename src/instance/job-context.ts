// What one running job sees: the job, the channel settings at the moment it started, its guard,
// and the instance's clock, logger and shared drive.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ChannelView, JobView } from '../projections/state.js';
import type { AttemptGuard } from './worker-role.js';

export interface JobContext {
  readonly sharedDir: string;
  readonly instanceId: string;
  readonly job: JobView;
  /** The channel's raw settings as the projection held them when the job started. */
  readonly channelSettings: Readonly<Record<string, unknown>>;
  readonly guard: AttemptGuard;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Channels as the projection held them when the job started (routing to another channel). */
  readonly channels: (name: string) => ChannelView | undefined;
  /** Removes the job's work folder (run after the outcome is acknowledged). */
  readonly discardWork: () => Promise<void>;
}
