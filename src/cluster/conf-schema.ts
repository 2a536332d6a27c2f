// The schema of ClaroServers.conf: every key once, with its type, default, unit and description.
// The parser (conf.ts), `darkroom conf init`, the example file and docs/configuration.md all
// read this one table, so a key cannot be documented in one place and missing in another.
import { z } from 'zod';

/** How the raw text after `=` is turned into a value before the key's zod schema checks it. */
export type ValueKind = 'int' | 'bool' | 'string' | 'path' | 'server';

export interface KeySpec {
  readonly kind: ValueKind;
  /** Validates the converted value; its messages complete `KEY "VALUE" ...`. */
  readonly schema: z.ZodType;
  readonly description: string;
  /** Default when the key is absent; undefined means "required" unless `optional`. */
  readonly default?: number | boolean | string;
  readonly optional?: boolean;
  /** The key may appear on several lines (server entries). */
  readonly repeat?: boolean;
  readonly unit?: string;
  /** The value `conf init` and the example file show. */
  readonly example: string;
}

const port = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');
const ms = (min: number) =>
  z
    .number()
    .int('must be a whole number of milliseconds')
    .min(min, `must be at least ${min} ms`)
    .max(86_400_000, 'must be at most 86400000 ms (one day)');

/** One `server =` entry: `NAME@HOST[:CLUSTERPORT[:HTTPPORT]]` or `HOST[:CLUSTERPORT[:HTTPPORT]]`. */
export const serverEntrySchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'name may hold letters, digits, ".", "_" and "-"')
      .describe('the instance id used in the log, in `darkroom start --id`, in the UI'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'host must be a host name or an IP address')
      .describe('host name or address other instances connect to'),
    clusterPort: port.optional().describe('port 7900-style instance-to-instance port (default: clusterPort)'),
    httpPort: port.optional().describe('HTTP port of the REST API and web UI (default: httpPort)'),
  })
  .strict();
export type ServerEntryInput = z.infer<typeof serverEntrySchema>;

export const confKeys = {
  server: {
    kind: 'server',
    schema: serverEntrySchema,
    repeat: true,
    description:
      'One instance of the cluster: NAME@HOST[:CLUSTERPORT[:HTTPPORT]]. Repeat the line for every server. ' +
      'NAME is the instance id (defaults to HOST); the ports default to clusterPort and httpPort. ' +
      'Several instances on one machine differ by port.',
    example: 'press1@press1.example.com:7900:7901',
  },
  shared: {
    kind: 'path',
    schema: z.string().min(1, 'must not be empty'),
    description:
      'The shared drive every instance mounts (log, snapshots, work, default hotfolders). ' +
      "A relative path is resolved against this file's folder.",
    example: '/mnt/darkroom',
  },
  clusterPort: {
    kind: 'int',
    schema: port,
    default: 7900,
    description: 'Default instance-to-instance port (WebSocket, HMAC-authenticated).',
    example: '7900',
  },
  httpPort: {
    kind: 'int',
    schema: port,
    default: 7901,
    description: 'Default HTTP port (REST API, live updates, web UI) for server entries that give none.',
    example: '7901',
  },
  secret: {
    kind: 'string',
    schema: z
      .string()
      .min(16, 'must be at least 16 characters (use `darkroom conf init` for a fresh one)')
      .regex(/^\S+$/, 'must not contain spaces'),
    optional: true,
    description: 'The cluster secret that authenticates instances to each other. Give secret or secretFile.',
    example: '<64 hex digits, written by `darkroom conf init`>',
  },
  secretFile: {
    kind: 'path',
    schema: z.string().min(1, 'must not be empty'),
    optional: true,
    description:
      "A file holding the cluster secret (first line). Relative to this file's folder. Give secret or secretFile.",
    example: 'cluster.secret',
  },
  slots: {
    kind: 'int',
    schema: z.number().int().min(1, 'must be at least 1').max(256, 'must be at most 256'),
    optional: true,
    description:
      'Jobs each instance processes at once. Default: the number of CPUs of that server plus one (so the file work of one job overlaps the image work of another).',
    example: '4',
  },
  pollHotfolders: {
    kind: 'bool',
    schema: z.boolean(),
    default: false,
    description:
      'Watch hotfolders by polling instead of file-system events. Turn on when input folders live on a ' +
      'network share (NFS/SMB): native events do not see files written from another machine.',
    example: 'false',
  },
  pollIntervalMs: {
    kind: 'int',
    schema: ms(50),
    default: 1000,
    unit: 'ms',
    description: 'Polling interval of hotfolder watching when polling is on.',
    example: '1000',
  },
  hotfolderRescanMs: {
    kind: 'int',
    schema: ms(100),
    default: 5000,
    unit: 'ms',
    description:
      'Full rescan (list + stat) of every input folder, the fallback for missed file events; also how ' +
      'often an unreachable folder is retried.',
    example: '5000',
  },
  heartbeatMs: {
    kind: 'int',
    schema: ms(50),
    default: 1000,
    unit: 'ms',
    description: 'Interval of heartbeats between instances and of the coordinator lease renewal.',
    example: '1000',
  },
  failureTimeoutMs: {
    kind: 'int',
    schema: ms(200),
    default: 4000,
    unit: 'ms',
    description:
      'An instance silent this long (no heartbeat on the cluster port and no change of its alive file or ' +
      'lease on the drive), or whose drive calls have hung this long, is declared lost and its jobs ' +
      'released to others; a coordinator that cannot renew its lease for half of it steps down. ' +
      "Keep it well above the drive's attribute-cache time.",
    example: '4000',
  },
  drainTimeoutMs: {
    kind: 'int',
    schema: ms(0),
    default: 30000,
    unit: 'ms',
    description: 'On SIGTERM, how long running jobs may finish before they are released to other instances.',
    example: '30000',
  },
  lockStaleMs: {
    kind: 'int',
    schema: ms(500),
    default: 2500,
    unit: 'ms',
    description:
      'The log append lock is considered stale (its holder gone) after this long without an update. ' +
      'Keep it well above lockUpdateMs plus the drive attribute-cache time.',
    example: '2500',
  },
  lockUpdateMs: {
    kind: 'int',
    schema: ms(100),
    default: 500,
    unit: 'ms',
    description: 'How often the holder of the log append lock refreshes it.',
    example: '500',
  },
  logPollMs: {
    kind: 'int',
    schema: ms(20),
    default: 1000,
    unit: 'ms',
    description: 'Fallback poll of the event log for new batches (peers also wake readers on port 7900).',
    example: '1000',
  },
  packEveryMs: {
    kind: 'int',
    schema: z.number().int('must be a whole number of milliseconds').min(0, 'must be at least 0 ms'),
    default: 600000,
    unit: 'ms',
    description:
      'How often the coordinator packs complete log batches into segment files (fewer files to open at start). 0 = never (then pack with `darkroom log pack`).',
    example: '600000',
  },
  maxAttempts: {
    kind: 'int',
    schema: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100'),
    default: 3,
    description: 'A job whose attempts keep dying goes to the bad folder after this many attempts.',
    example: '3',
  },
  maxUploadBytes: {
    kind: 'int',
    schema: z.number().int().min(1024, 'must be at least 1024 bytes'),
    default: 209715200,
    unit: 'bytes',
    description:
      'Largest image the HTTP API accepts in one upload (POST /api/jobs); larger ones get 413 E_UPLOAD_TOO_LARGE.',
    example: '209715200',
  },
  sessionTtlMs: {
    kind: 'int',
    schema: ms(60000),
    default: 43200000,
    unit: 'ms',
    description: 'How long a web login session lasts (the signed session cookie expires after it).',
    example: '43200000',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfKey = keyof typeof confKeys;
export const confKeyNames = Object.keys(confKeys) as ConfKey[];

export function isConfKey(key: string): key is ConfKey {
  return Object.hasOwn(confKeys, key);
}

/** The key's spec as a plain KeySpec. */
export function keySpec(key: ConfKey): KeySpec {
  const spec: KeySpec = confKeys[key];
  return spec;
}
