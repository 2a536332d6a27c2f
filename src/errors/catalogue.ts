// The one catalogue of darkroom's error codes: message template, HTTP status, CLI exit code,
// kind and how to fix. Codes are permanent; docs/errors.md is generated from this table
// (`npm run docs:errors`) and a test keeps the two in step.

/** refusal: a rule said no (retry after re-reading); input: the caller sent something wrong; fault: darkroom or its drive failed. */
export type ErrorKind = 'refusal' | 'input' | 'fault';

export interface ErrorSpec {
  /** Message template; `{name}` is replaced by the field of that name. */
  readonly message: string;
  readonly status: number;
  readonly exit: number;
  readonly kind: ErrorKind;
  readonly fix: string;
}

function spec(kind: ErrorKind, status: number, exit: number, message: string, fix: string): ErrorSpec {
  return { kind, status, exit, message, fix };
}

export const catalogue = {
  // --- general / CLI -------------------------------------------------------------------
  E_USAGE: spec('input', 400, 2, '{detail}', 'Run the command with --help to see its options.'),
  E_INTERNAL: spec(
    'fault',
    500,
    70,
    'internal error: {detail}',
    'Report it with the log excerpt; the instance keeps running.',
  ),
  E_INSTANCE_STOPPING: spec(
    'refusal',
    503,
    75,
    'instance {instanceId} is stopping and takes no new work',
    'Send the request to another instance.',
  ),

  E_INSTANCE_DUPLICATE: spec(
    'refusal',
    409,
    75,
    'instance {instanceId} is already running ({where}); one id, one process',
    'Stop the other process first, or start this one with another --id from the conf.',
  ),
  E_CLUSTER_PORT_IN_USE: spec(
    'fault',
    500,
    69,
    'cluster port {port} of {instanceId} is in use on this host: {reason}',
    'Stop what listens there, or give this server another cluster port in the conf (NAME@HOST:PORT).',
  ),
  E_LEASE_NEWER_TERM: spec(
    'refusal',
    409,
    75,
    'the coordinator lease is held for term {found} by {holder}; term {term} is over',
    'Nothing to do: this instance stops acting as coordinator of the old term.',
  ),

  // --- configuration (conf file, settings) ---------------------------------------------
  E_CONF_UNREADABLE: spec(
    'input',
    400,
    78,
    'cannot read {file}: {reason}',
    'Check the path and its permissions.',
  ),
  E_CONF_SYNTAX: spec(
    'input',
    400,
    78,
    '{file} line {line}: {detail}',
    'Fix that line; conf/ClaroServers.conf.example documents every key.',
  ),
  E_CONF_INVALID: spec(
    'input',
    400,
    78,
    '{file}: {detail}',
    'Fix the value; conf/ClaroServers.conf.example documents every key.',
  ),
  E_CONF_NO_INSTANCE: spec(
    'input',
    400,
    78,
    '{file}: no server entry matches {what}',
    'Pass --id with one of the server names in the conf.',
  ),
  E_CONF_INSTANCE_AMBIGUOUS: spec(
    'input',
    400,
    78,
    '{file}: several server entries match this host ({names})',
    'Pass --id with the name of the entry this instance is.',
  ),
  E_SETTINGS_INVALID: spec(
    'input',
    400,
    65,
    'invalid settings at {field}: {detail}',
    'Correct that field; docs/ lists every setting with its type and default.',
  ),

  // --- the event log --------------------------------------------------------------------
  E_LOG_CONDITION_FAILED: spec(
    'refusal',
    409,
    75,
    'refused: {condition} ({detail})',
    'Re-read the current state and try again.',
  ),
  E_LOG_CORRUPT: spec(
    'fault',
    500,
    1,
    'log damaged at {file} byte {offset} (line {line}, seq {seq}): {detail}',
    'Do not edit the log; restore that file (the one named) from backup or ask support. `darkroom log verify` shows the first break.',
  ),
  E_LOG_TOO_NEW: spec(
    'fault',
    500,
    1,
    'log seq {seq} has event type {type} that this version does not know',
    'Upgrade this instance to the version that wrote it.',
  ),
  E_LOG_RECORD_INVALID: spec(
    'fault',
    500,
    1,
    '{file} byte {offset} (line {line}, seq {seq}): field {field}: {detail}',
    'Do not edit the log by hand; `darkroom log verify` shows the first break.',
  ),
  E_LOG_NOT_ACKNOWLEDGED: spec(
    'fault',
    503,
    75,
    'append not acknowledged: {reason}',
    'The events were not written; retry the operation.',
  ),
  E_LOG_LOCK_COMPROMISED: spec(
    'fault',
    503,
    75,
    'the log lock was lost while writing: {reason}',
    'The batch was aborted; retry. Check the drive if it repeats.',
  ),
  E_DRIVE_FULL: spec(
    'fault',
    507,
    74,
    'the shared drive is full: {what} could not be written ({reason})',
    'Free space on the file server (or raise the quota of the share). Nothing acknowledged is lost; what was refused was not written (retry it); running instances go on by themselves once the drive takes writes again.',
  ),
  E_LOG_UNREACHABLE: spec(
    'fault',
    503,
    74,
    'cannot reach the log at {dir}: {reason}',
    'Check that the shared drive is mounted and writable.',
  ),
  E_SNAPSHOT_MISMATCH: spec(
    'fault',
    500,
    1,
    'snapshot {file} does not match the log at seq {seq}: {detail}',
    'The snapshot is ignored (an older one or a full replay is used instead). A snapshot of another log (a drive copied or restored over another) does not belong in this snapshots/ folder: remove it.',
  ),
  E_SNAPSHOT_DIGEST_MISMATCH: spec(
    'fault',
    500,
    1,
    'snapshot {file} was changed after it was written: {detail}',
    'The snapshot is ignored and the state replayed from the log. Find out who or what edited the file (never edit snapshots: change settings with `darkroom channel set`), then remove it or run `darkroom log snapshot` to write a good one.',
  ),
  E_SNAPSHOT_UNDIGESTED: spec(
    'fault',
    500,
    1,
    'snapshot {file} carries no digest (written by an older darkroom) and is not trusted',
    'The snapshot is ignored and the state replayed from the log; `darkroom log snapshot` (or the coordinator, soon) writes one with a digest, after which the old one is pruned.',
  ),

  // --- images ---------------------------------------------------------------------------
  E_IMAGE_UNSUPPORTED: spec(
    'input',
    415,
    65,
    '{file}: not an image format darkroom reads ({detail})',
    'Send JPEG, PNG, TIFF, WebP, HEIF/AVIF or GIF.',
  ),
  E_IMAGE_CORRUPT: spec(
    'input',
    422,
    65,
    '{file}: the image data is corrupt or truncated ({detail})',
    'Send the file again; it was probably cut off while copying.',
  ),
  E_IMAGE_EMPTY: spec(
    'input',
    422,
    65,
    '{file}: the file is empty',
    'Send the file again; it was probably cut off while copying.',
  ),
  E_IMAGE_TOO_LARGE: spec(
    'input',
    413,
    65,
    '{file}: {width}x{height} exceeds the limit of {limit} pixels',
    "Raise the channel's maxInputPixels or send a smaller image.",
  ),
  E_IMAGE_UNREADABLE: spec(
    'fault',
    500,
    66,
    '{file}: cannot read the file ({detail})',
    'Check that the file exists and is readable.',
  ),
  E_IMAGE_WRITE_FAILED: spec(
    'fault',
    500,
    73,
    '{file}: cannot write the output ({detail})',
    'Check the output folder: space, permissions, reachability.',
  ),
  E_IMAGE_NOT_AN_IMAGE: spec(
    'input',
    415,
    65,
    '{file}: the content is not an image ({detail})',
    'Send an image file; the name alone does not make a file an image.',
  ),
  E_IMAGE_TRUNCATED: spec(
    'input',
    422,
    65,
    '{file}: the image data ends early ({detail})',
    'Send the file again completely; it was cut off while copying or uploading.',
  ),
  E_IMAGE_CHECKSUM: spec(
    'input',
    422,
    65,
    '{file}: the image data fails its checksum ({detail})',
    'Send the file again; it was damaged in transit or on disk.',
  ),
  E_IMAGE_MISSING: spec(
    'input',
    404,
    66,
    '{file}: no such file',
    'Check the path; the file may have been moved or removed.',
  ),
  E_IMAGE_NOT_A_FILE: spec(
    'input',
    422,
    66,
    '{file}: is a {kind}, not a file',
    'Point to an image file, not a folder or device.',
  ),
  E_IMAGE_OUTPUT_UNSUPPORTED: spec(
    'input',
    422,
    64,
    '{file}: darkroom cannot write {detail}',
    'Use an output ending in .jpg, .png, .tif, .webp or .avif, or set output.format.',
  ),
  E_PROFILE_INVALID: spec(
    'input',
    422,
    65,
    'ICC profile {file} is not a valid ICC profile: {detail}',
    'Point the setting to a real .icc/.icm file (a profile, not another file renamed).',
  ),
  E_PROFILE_WRONG_SPACE: spec(
    'input',
    422,
    65,
    'ICC profile {file} describes {actual} colour, but {setting} needs {expected}',
    'Choose a profile of the colour space the setting expects (for example a CMYK press profile for cmykProfile).',
  ),
  E_PROFILE_UNREADABLE: spec(
    'input',
    422,
    65,
    'ICC profile {file}: {detail}',
    'Point the setting to a readable .icc file.',
  ),
  E_QUALITY_REJECTED: spec(
    'refusal',
    422,
    65,
    '{file}: rejected by the quality check ({reasons})',
    "Review the image, or loosen the channel's quality check.",
  ),

  // --- channels, jobs, tickets ------------------------------------------------------------
  E_CHANNEL_UNKNOWN: spec(
    'input',
    404,
    65,
    'no channel named {name}',
    'List channels with `darkroom channel list`.',
  ),
  E_CHANNEL_EXISTS: spec(
    'refusal',
    409,
    65,
    'a channel named {name} already exists',
    'Choose another name or change the existing channel.',
  ),
  E_CHANNEL_CONFLICT: spec(
    'refusal',
    409,
    75,
    'channel {name} was changed by {by} at {at} (revision {actual}, you edited {expected})',
    'Show the channel again and repeat your change.',
  ),
  E_CHANNEL_BUSY: spec(
    'refusal',
    409,
    75,
    'channel {name} still has {count} open jobs',
    'Pause the channel and let its jobs finish (`darkroom jobs --channel NAME`), cancel them, or delete with --force.',
  ),
  E_JOB_UNKNOWN: spec('input', 404, 65, 'no job with id {jobId}', 'List jobs with `darkroom jobs`.'),
  E_JOB_STATE: spec('refusal', 409, 75, 'job {jobId} is {state}; {detail}', 'Re-read the job and try again.'),
  E_TICKET_INVALID: spec(
    'input',
    422,
    65,
    'job ticket {file}: {detail}',
    'Fix the ticket; docs/job-tickets.md describes the format.',
  ),
  E_INPUT_FILE_UNREADABLE: spec(
    'input',
    400,
    66,
    'cannot read the input file {file}: {reason}',
    'Check the file name and its permissions (a settings or channel export file given on the command line).',
  ),
  E_INPUT_IS_OWN_OUTPUT: spec(
    'input',
    422,
    65,
    'channel {channel}: {file} really lies in its own {folder} ({real}), where darkroom writes: not taken (it would be processed again and again)',
    "The input folder reaches one of the channel's own folders through a symlink or another path: give the input, output, bad and originals folders places of their own (`darkroom channel set`).",
  ),
  E_TICKET_PATH_INTO_INPUT: spec(
    'input',
    422,
    65,
    '{what}: "{path}" leads to {resolved}, inside the channel\'s input folder ({input}): its outputs would be taken again',
    "Name an output folder outside the channel's input folder; keep allowedOutputRoots apart from input folders (docs/job-tickets.md).",
  ),
  E_TICKET_PATH_OUTSIDE: spec(
    'input',
    422,
    65,
    '{what}: "{path}" leads to {resolved}, outside the allowed folders ({roots})',
    "Name a folder inside the channel's output folder, or add its root to the channel setting allowedOutputRoots (docs/job-tickets.md).",
  ),
  E_OUTPUT_EXISTS: spec(
    'refusal',
    409,
    73,
    'output {file} exists already',
    'Set the channel to add a counter, or remove the old file.',
  ),
  E_FOLDER_UNREACHABLE: spec(
    'fault',
    503,
    74,
    'folder {dir} is unreachable: {reason}',
    'Check that the folder exists and the drive is mounted.',
  ),

  // --- instance (start, processing, drain) ---------------------------------------------------
  E_JOB_GAVE_UP: spec(
    'fault',
    500,
    70,
    'job {jobId} was given up: {attempts} attempts died while processing it (last: {reason})',
    'The input may crash or hang darkroom: look at the instance logs around those attempts, then retry it with `darkroom jobs retry ID` or drop a fixed file. maxAttempts in the conf sets the limit.',
  ),
  E_ROUTE_NO_MATCH: spec(
    'input',
    422,
    65,
    '{file}: no routing rule of channel {channel} matches it and the channel has no fallback',
    'Add a rule or a fallback to the routing channel, then move the file back into its input folder.',
  ),
  E_INPUT_MISSING: spec(
    'fault',
    500,
    66,
    'job {jobId}: its input {file} is missing from the work folder',
    'Look in the output, originals and bad folders: an earlier attempt may have finished it; otherwise resubmit the image.',
  ),

  // --- projections (replay, snapshots, review) ----------------------------------------------
  E_JOB_REJECTED: spec(
    'refusal',
    422,
    65,
    'job {jobId} was rejected in review by {by}: {reason}',
    'Retry the job after adjusting it, or change the channel settings and resubmit the image.',
  ),
  E_SNAPSHOT_UNREADABLE: spec(
    'fault',
    500,
    1,
    'snapshot {file} is not readable: {detail}',
    'The snapshot is ignored (an older one or a full replay is used instead); remove the file, or run `darkroom log snapshot` to write a good one.',
  ),
  // --- HTTP (web service, administration, users and tokens) --------------------------------
  E_REQUEST_INVALID: spec(
    'input',
    400,
    65,
    'request {where}: {detail}',
    'Correct the request; GET /api/openapi.json describes every route and field.',
  ),
  E_NOT_FOUND: spec(
    'input',
    404,
    65,
    'no route {method} {path}',
    'Check the method and path against GET /api/openapi.json (docs/http.md).',
  ),
  E_AUTH_REQUIRED: spec(
    'input',
    401,
    77,
    'this route needs a login session or an API token',
    'Log in (POST /api/login) or send `Authorization: Bearer <token>` (darkroom token create --user NAME).',
  ),
  E_AUTH_FAILED: spec(
    'input',
    401,
    77,
    'authentication failed: {detail}',
    'Check the user name and password, or create a new token with `darkroom token create --user NAME`.',
  ),
  E_FORBIDDEN: spec(
    'refusal',
    403,
    77,
    'user {user} (role {role}) may not {action}; it needs role {needs}',
    'Ask an admin to change your role (`darkroom user add NAME --role ROLE`), or use an account with that role.',
  ),
  E_RATE_LIMITED: spec(
    'refusal',
    429,
    75,
    'too many requests to {what}; try again in {retryAfterS} s',
    'Wait and try again; repeated failed logins are limited per client address.',
  ),
  E_UPLOAD_TOO_LARGE: spec(
    'input',
    413,
    65,
    'the upload is larger than maxUploadBytes ({limit} bytes)',
    'Send a smaller file, or raise maxUploadBytes in ClaroServers.conf.',
  ),
  E_NOT_READY: spec(
    'refusal',
    503,
    75,
    'instance {instanceId} is not ready: {detail}',
    'Wait until it has caught up with the log and its drive answers, or ask another instance.',
  ),
  E_USER_UNKNOWN: spec('input', 404, 67, 'no user {user}', 'List users with GET /api/users.'),
  E_USER_EXISTS: spec(
    'refusal',
    409,
    75,
    'user {user} exists already',
    'Change the user instead (PATCH /api/users/NAME or `darkroom user add NAME --role ROLE`, which updates).',
  ),
  E_USER_LAST_ADMIN: spec(
    'refusal',
    409,
    75,
    'user {user} is the last admin',
    'Make another user admin first, then remove or demote this one.',
  ),
  E_TOKEN_UNKNOWN: spec('input', 404, 67, 'no token {tokenId}', 'List tokens with GET /api/users.'),
  E_SERVER_UNREACHABLE: spec(
    'fault',
    503,
    69,
    'server {url} cannot be reached: {detail}',
    'Check --server (the HTTP address of any instance) and that the instance runs.',
  ),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(catalogue, code);
}
