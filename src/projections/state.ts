// The projection state every instance folds from the log: config, jobs and cluster, plus
// provenance. Immutable (immutable.js collections of frozen plain objects): a part that did
// not change keeps its identity, and a replay of 1M events stays linear.
import type { Map as IMap, List, OrderedSet, Set as ISet } from 'immutable';
import type { EventType, JobState } from '../events/event-types.js';

/** Where and by whom something was last written. */
export interface Stamp {
  readonly seq: number;
  readonly ts: string;
  readonly by: string;
}

export interface ChannelView {
  readonly name: string;
  /** 1 after ChannelCreated, +1 per ChannelUpdated. */
  readonly revision: number;
  /** The full channel settings (schema: src/channels). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly paused: boolean;
  readonly pauseReason?: string;
  /** Who paused it and when (absent while not paused). */
  readonly pausedAt?: Stamp;
  /** Set while the coordinator cannot watch the input folder: the reason. */
  readonly standby?: string;
  readonly created: Stamp;
  /** The write that made the current revision (ChannelCreated or the last ChannelUpdated). */
  readonly updated: Stamp;
}

export interface UserView {
  readonly user: string;
  readonly role: 'admin' | 'operator' | 'viewer';
  /** scrypt hash of the password (src/http/passwords.ts); absent: no password login. */
  readonly passwordHash?: string;
  /** API tokens acting as this user (stored hashed). */
  readonly tokens?: readonly TokenView[];
}

export interface TokenView {
  readonly tokenId: string;
  /** SHA-256 hex of the token's secret part. */
  readonly hash: string;
  readonly label: string;
  readonly created: Stamp;
}

export interface ConfigState {
  readonly channels: IMap<string, ChannelView>;
  readonly users: IMap<string, UserView>;
  readonly settings: IMap<string, unknown>;
}

export interface JobView {
  readonly jobId: string;
  readonly channel: string;
  readonly state: JobState;
  /** 0 until the first JobAssigned; the attempt of the current (or last) assignment. */
  readonly attempt: number;
  /** The instance and incarnation holding it while assigned or processing; after an outcome
   *  (completed, failed, review, cancelled) the last holder, kept for the record; absent while
   *  submitted. Only assigned/processing jobs occupy a slot. */
  readonly instanceId?: string;
  readonly inc?: number;
  readonly source: string;
  readonly relPath: string;
  readonly workDir: string;
  readonly file: string;
  readonly bytes: number;
  readonly ticket?: Readonly<Record<string, unknown>>;
  readonly submitted: Stamp;
  readonly updated: Stamp;
  /** Attempts that ended by release (instance stopped or lost) rather than an outcome. */
  readonly releases: number;
  /** Attempts that died while processing (absent: none): the holder's incarnation was lost or
   *  replaced by its restart, or the holder released it after a fault. A graceful stop's release
   *  is not a death. `maxAttempts` deaths send the job to the bad folder (E_JOB_GAVE_UP). Reset by
   *  JobRetried. */
  readonly deaths?: number;
  /** How the last of those attempts died (for the bad folder's error file). */
  readonly lastDeath?: string;
  readonly outcome?: 'processed' | 'routed' | 'skipped';
  readonly outputs?: readonly string[];
  readonly original?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly badPath?: string };
  readonly timingsMs?: Readonly<Record<string, number>>;
  // The analysis and corrections stay in the JobCompleted record (at `updated.seq` of a completed
  // job), not in the projection: they are kilobytes per job.
  readonly verdict?: Readonly<Record<string, unknown>>;
  /** Preview written for review (JobReviewRequested). */
  readonly preview?: string;
  /** The person's decision on a job in review (JobApproved / JobRejected). */
  readonly review?: ReviewDecision;
  /** Who cancelled it and why (JobCancelled). */
  readonly cancelled?: { readonly by: string; readonly reason: string };
}

export interface ReviewDecision {
  readonly decision: 'approved' | 'rejected';
  /** The person, as the event names them. */
  readonly by: string;
  readonly reason?: string;
  readonly at: Stamp;
}

export interface JobsState {
  readonly all: IMap<string, JobView>;
  /** Ids of jobs not yet in a final state (submitted, assigned, processing, review), in the order
   *  they became open (submission order; a retried job goes to the back). */
  readonly open: OrderedSet<string>;
  /** Channel -> seq of its latest applied JobAssigned: fairness across assignment decisions. */
  readonly lastAssigned: IMap<string, number>;
  /** How many finished jobs (completed, failed, cancelled) `all` keeps: the newest ones by the
   *  seq that finished them. Set through SettingChanged `jobs.retainFinished`. */
  readonly retainFinished: number;
  /** Finished jobs in `all`. */
  readonly finishedCount: number;
  /** [jobId, seq that finished it] in finishing order, oldest first. An entry whose job has moved
   *  on since (retried, finished again) is stale and skipped when it reaches the head. */
  readonly finishOrder: List<FinishEntry>;
  /** Ids of archived jobs (finished, dropped from `all` by the retention), decoded from a
   *  snapshot: sorted, searched by bisection (a Set of 250k ids costs ~0.5 s to build). */
  readonly archivedBase: readonly string[];
  /** Ids archived since `archivedBase` was decoded. */
  readonly archived: ISet<string>;
}

export type FinishEntry = readonly [jobId: string, seq: number];

export type InstanceStatus = 'started' | 'stopping' | 'stopped' | 'lost';

export interface InstanceView {
  readonly instanceId: string;
  /** Incarnation: the seq of this InstanceStarted. */
  readonly inc: number;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly slots: number;
  readonly confHash: string;
  readonly formatLevel: number;
  readonly status: InstanceStatus;
  readonly started: Stamp;
  readonly updated: Stamp;
}

export interface CoordinatorView {
  readonly instanceId: string;
  readonly inc: number;
  readonly term: number;
  readonly elected: Stamp;
}

export interface ClusterState {
  /** By instance id: its latest incarnation. */
  readonly instances: IMap<string, InstanceView>;
  /** The current coordinator term (0 before the first election). */
  readonly term: number;
  readonly coordinator?: CoordinatorView;
}

export interface ProjectionMeta {
  /** Last applied seq (0: empty log). */
  readonly seq: number;
  /** Hash of the last applied record ('' for an empty log). */
  readonly hash: string;
  /** Events the replay rules ignored (stale term, attempt or incarnation), by type. */
  readonly ignored: IMap<EventType, number>;
}

export interface ProjectionState {
  readonly config: ConfigState;
  readonly jobs: JobsState;
  readonly cluster: ClusterState;
  readonly meta: ProjectionMeta;
}
