// The one event union: every event type darkroom writes, declared once with its data schema.
// Type names are permanent and past tense. The TypeScript types are inferred from the schemas,
// and the same schemas validate every record read from disk.
import { z } from 'zod';

const id = z.string().min(1).max(200);
const instanceId = id.describe('the instance id, as named in ClaroServers.conf');
const inc = z
  .number()
  .int()
  .positive()
  .describe("the instance's incarnation: the seq of its InstanceStarted");
const jobId = id.describe('job id (time-ordered, unique across the cluster)');
const attempt = z.number().int().positive().describe('the attempt number, 1 for the first assignment');
const channel = id.describe('channel name');
const revision = z.number().int().nonnegative().describe('channel revision: 1 after creation, +1 per change');
// Paths in events are drive paths (src/drive-path.ts): relative to the shared drive's root,
// `/`-separated; absolute only for a channel folder the channel settings place outside the drive.
const path = z
  .string()
  .min(1)
  .describe('a drive path: relative to the shared drive (absolute only outside it)');
const json = z.record(z.string(), z.unknown());
const role = z
  .enum(['admin', 'operator', 'viewer'])
  .describe('admin: everything; operator: jobs, pause/resume, review; viewer: read only');
const passwordHash = z
  .string()
  .min(1)
  .optional()
  .describe('scrypt$N$r$p$salt$hash (base64url); absent: the user cannot log in with a password');
const actor = z
  .string()
  .optional()
  .describe('the person who made the change (absent: written by the CLI or an instance)');

/** Job states of the job state machine (DESIGN.md, Projections). */
export const jobStates = [
  'submitted',
  'assigned',
  'processing',
  'review',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobState = (typeof jobStates)[number];

export const eventSchemas = {
  // --- cluster ------------------------------------------------------------------------
  InstanceStarted: z
    .object({
      instanceId,
      host: z.string().describe('host name the instance runs on'),
      pid: z.number().int().describe('process id'),
      version: z.string().describe('darkroom version'),
      slots: z.number().int().positive().describe('how many jobs this instance processes at once'),
      confHash: z.string().describe('SHA-256 of the ClaroServers.conf it started with'),
      formatLevel: z.number().int().positive().describe('highest log format level this version supports'),
    })
    .strict(),
  InstanceStopping: z.object({ instanceId, inc, reason: z.string() }).strict(),
  InstanceStopped: z.object({ instanceId, inc }).strict(),
  InstanceLost: z
    .object({ instanceId, inc, reason: z.string().describe('why the coordinator declared it lost') })
    .strict(),
  CoordinatorElected: z
    .object({
      instanceId,
      inc,
      term: z.number().int().positive().describe('the new term: the previous term + 1'),
    })
    .strict(),
  BatchRepaired: z
    .object({
      file: z.string().describe('the torn batch file, relative to log/'),
      movedTo: z.string().describe('where it was moved aside, relative to log/'),
      reason: z.string(),
      records: z.number().int().nonnegative().describe('complete lines it held (never applied)'),
    })
    .strict(),
  OperatorNote: z
    .object({ author: z.string().min(1).describe('who wrote the note'), text: z.string().min(1).max(10_000) })
    .strict(),

  // --- config -------------------------------------------------------------------------
  ChannelCreated: z
    .object({
      channel,
      settings: json.describe('the full channel settings (validated at the door)'),
      by: actor,
    })
    .strict(),
  ChannelUpdated: z
    .object({
      channel,
      revision: revision.describe('the revision this change was made against'),
      settings: json.describe('the full new settings'),
      changed: z.array(z.string()).describe('the setting paths that changed'),
      by: actor,
    })
    .strict(),
  ChannelDeleted: z.object({ channel, revision, by: actor }).strict(),
  ChannelPaused: z.object({ channel, reason: z.string(), by: actor }).strict(),
  ChannelResumed: z.object({ channel, by: actor }).strict(),
  ChannelStandbyEntered: z
    .object({ channel, reason: z.string().describe('why its input folder cannot be watched') })
    .strict(),
  ChannelStandbyLeft: z.object({ channel }).strict(),
  UserAdded: z.object({ user: id, role, passwordHash, by: actor }).strict(),
  UserChanged: z.object({ user: id, role, passwordHash, by: actor }).strict(),
  UserRemoved: z.object({ user: id, by: actor }).strict(),
  TokenCreated: z
    .object({
      user: id.describe('the user the token acts as'),
      tokenId: id.describe('the public part of the token (drk_<tokenId>_<secret>)'),
      hash: z.string().min(1).describe('SHA-256 hex of the secret part; the token itself is never logged'),
      label: z.string().max(200).describe('what the token is for'),
      by: actor,
    })
    .strict(),
  TokenRevoked: z.object({ user: id, tokenId: id, by: actor }).strict(),
  SettingChanged: z.object({ key: z.string().min(1), value: z.unknown(), by: actor }).strict(),

  // --- jobs ---------------------------------------------------------------------------
  JobSubmitted: z
    .object({
      jobId,
      channel,
      source: z
        .string()
        .describe('where the input came from: its drive path in the hotfolder, or "upload:NAME"'),
      relPath: z.string().describe('path relative to the input folder (subfolders kept in the output)'),
      workDir: path.describe('work/<jobId>/, relative to the shared drive'),
      file: z.string().describe('the input file name inside workDir'),
      bytes: z.number().int().nonnegative(),
      ticket: json.optional().describe('overrides from an XML job ticket'),
      submittedBy: instanceId,
      by: actor,
    })
    .strict(),
  JobAssigned: z.object({ jobId, instanceId, inc, attempt }).strict(),
  JobStarted: z.object({ jobId, instanceId, attempt }).strict(),
  JobCompleted: z
    .object({
      jobId,
      attempt,
      outcome: z.enum(['processed', 'routed', 'skipped']).describe('what happened to the input'),
      outputs: z.array(z.string()).describe('drive paths of the published outputs'),
      original: z.string().optional().describe('drive path where the original went (absent if deleted)'),
      timingsMs: z.record(z.string(), z.number()).describe('duration of each step'),
      analysis: json.optional().describe('the image analysis, for the Inspector'),
      corrections: json.optional().describe('the corrections applied'),
      verdict: json.optional().describe('the quality check verdict'),
    })
    .strict(),
  JobFailed: z
    .object({
      jobId,
      attempt,
      code: z.string().describe('the error code (docs/errors.md)'),
      message: z.string(),
      badPath: z.string().optional().describe('drive path where the original was moved'),
    })
    .strict(),
  JobReviewRequested: z.object({ jobId, attempt, verdict: json, preview: z.string().optional() }).strict(),
  JobApproved: z.object({ jobId, by: z.string() }).strict(),
  JobRejected: z
    .object({
      jobId,
      by: z.string(),
      reason: z.string(),
      to: z
        .enum(['failed', 'cancelled'])
        .optional()
        .describe('where the job goes: failed (default; the original goes to the bad folder) or cancelled'),
    })
    .strict(),
  JobReleased: z.object({ jobId, attempt, reason: z.string() }).strict(),
  JobRetried: z.object({ jobId, by: z.string() }).strict(),
  JobCancelled: z.object({ jobId, by: z.string(), reason: z.string() }).strict(),
  FilesPurged: z
    .object({
      channel,
      folder: z.string().describe('drive path of the purged folder'),
      files: z.array(z.string()),
      bytes: z.number().int().nonnegative(),
    })
    .strict(),
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

/** An event before it is written: what appenders pass to the log. */
export type DarkroomEvent = {
  [T in EventType]: { readonly type: T; readonly data: EventData<T> };
}[EventType];

/** Events only the coordinator writes, fenced by its term (DESIGN.md, Event catalog). */
export const coordinatorOnly: ReadonlySet<EventType> = new Set<EventType>([
  'InstanceLost',
  'CoordinatorElected',
  'JobAssigned',
  'ChannelStandbyEntered',
  'ChannelStandbyLeft',
]);

/** Events an instance writes about a job attempt it was assigned; ignored when the attempt is stale. */
export const workerEvents: ReadonlySet<EventType> = new Set<EventType>([
  'JobStarted',
  'JobCompleted',
  'JobFailed',
  'JobReviewRequested',
  'JobReleased',
]);

export function isEventType(t: string): t is EventType {
  return Object.hasOwn(eventSchemas, t);
}

/** The log format level this version writes and reads. */
export const FORMAT_LEVEL = 1;
