// Append conditions: the facts a decision read, which must still hold when its batch is written.
// The log writer checks them against the projections at the tip (optimistic concurrency).
import type { JobState } from './event-types.js';

export type Condition =
  /** The current coordinator term is exactly `term`. */
  | { readonly kind: 'term'; readonly term: number }
  /** `instanceId` in incarnation `inc` is the coordinator of `term` (fences coordinator-only events). */
  | { readonly kind: 'coordinator'; readonly instanceId: string; readonly inc: number; readonly term: number }
  /** The channel is at `revision` (0: the channel must not exist). */
  | { readonly kind: 'channelRevision'; readonly channel: string; readonly revision: number }
  /** The job is in one of `states` and, when given, at `attempt`. */
  | {
      readonly kind: 'jobState';
      readonly jobId: string;
      readonly states: readonly JobState[];
      readonly attempt?: number;
    }
  /** No job with this id exists yet. */
  | { readonly kind: 'jobAbsent'; readonly jobId: string }
  /** `instanceId` incarnation `inc` is current and in one of `statuses` (default: started). */
  | {
      readonly kind: 'incarnation';
      readonly instanceId: string;
      readonly inc: number;
      readonly statuses?: readonly ('started' | 'stopping')[];
    };

/** Why a condition failed: the condition and what was found instead. */
export interface ConditionFailure {
  readonly condition: Condition;
  readonly detail: string;
}

export function describeCondition(c: Condition): string {
  switch (c.kind) {
    case 'term':
      return `coordinator term is ${c.term}`;
    case 'coordinator':
      return `${c.instanceId} (inc ${c.inc}) is coordinator of term ${c.term}`;
    case 'channelRevision':
      return c.revision === 0
        ? `channel ${c.channel} does not exist`
        : `channel ${c.channel} is at revision ${c.revision}`;
    case 'jobState':
      return `job ${c.jobId} is ${c.states.join('|')}${c.attempt === undefined ? '' : ` at attempt ${c.attempt}`}`;
    case 'jobAbsent':
      return `job ${c.jobId} does not exist`;
    case 'incarnation':
      return `${c.instanceId} incarnation ${c.inc} is ${(c.statuses ?? ['started']).join('|')}`;
  }
}
