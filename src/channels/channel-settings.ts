// Channel settings: one strict schema per channel type (process, routing, purging), discriminated on
// `type`, with a description, default and unit for every key. Validated at the door (CLI, HTTP,
// import), stored whole in ChannelCreated/ChannelUpdated, and parsed again by every reader.
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DarkroomError } from '../errors/darkroom-error.js';
import { compileSkipPattern } from '../hotfolders/ignored-file.js';
import { purgeRulesSchema } from '../hotfolders/decide-purge.js';
import { routingSettingsSchema } from '../hotfolders/decide-routing.js';
import { pipelineSettingsSchema } from '../imaging/pipeline-settings.js';

/** A channel name: used in folder names, URLs and CLI arguments. */
export const channelNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'a channel name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .describe('channel name');

const folder = (what: string, defaultSub: string) =>
  z
    .string()
    .min(1)
    .max(4096)
    .describe(`${what}; absolute, or relative to the shared drive (default hotfolders/NAME/${defaultSub})`);

const group = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('channel group: `channel list --group G`, `channel pause --group G` act on all its channels');
const description = z.string().max(500).optional().describe('free text shown in lists and the UI');
const priority = z
  .number()
  .int()
  .min(0)
  .max(100)
  .default(50)
  .describe('0-100: jobs of higher-priority channels are assigned first');
const fileReadyDelayMs = z
  .number()
  .int()
  .min(0)
  .max(3_600_000)
  .default(3000)
  .describe('ms a file size and mtime must stay unchanged before the file is taken');
const scanSubfolders = z
  .boolean()
  .default(false)
  .describe('also take files in subfolders of the input folder (the relative path is kept in the output)');
const skipPattern = z
  .string()
  .min(1)
  .max(1000)
  .optional()
  .describe('names never taken: a glob (`*.txt`, `raw/**`) or a regular expression written `/.../flags`');
const pollInput = z
  .boolean()
  .optional()
  .describe("watch the input folder by polling (network shares); absent: the conf file's pollHotfolders");

/** A skip pattern that does not compile is an issue on `skipPattern`. */
function checkSkipPattern(pattern: string | undefined, ctx: z.RefinementCtx): void {
  if (pattern === undefined) return;
  try {
    compileSkipPattern(pattern);
  } catch (err) {
    const detail = err instanceof DarkroomError ? String(err.fields['detail']) : String(err);
    ctx.addIssue({ code: 'custom', path: ['skipPattern'], message: detail });
  }
}

export const stampSchema = z
  .object({
    whenAlreadyProcessed: z
      .enum(['process', 'skip', 'route'])
      .default('skip')
      .describe(
        'an input that carries a stamp already: process it again, skip it (published as is), or route it to `routeDir`',
      ),
    routeDir: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        'where already-processed inputs go when whenAlreadyProcessed is route; absolute or relative to the shared drive',
      ),
  })
  .strict()
  .prefault({})
  .describe(
    'images that carry a darkroom processing stamp already (whether outputs get a stamp is pipeline.output.stamp)',
  );

export const processChannelSchema = z
  .object({
    type: z.literal('process').describe('image processing: input folder -> pipeline -> output folder'),
    description,
    group,
    inputDir: folder('input hotfolder', 'in'),
    outputDir: folder('output folder', 'out'),
    badDir: folder('bad folder: failed and rejected originals with NAME.error.txt', 'bad'),
    originalsDir: folder('originals folder (used when originals is keep)', 'originals'),
    originals: z
      .enum(['keep', 'delete', 'leave'])
      .default('keep')
      .describe(
        'what happens to an original once processed: moved to originalsDir, deleted, or left in work/',
      ),
    scanSubfolders,
    fileReadyDelayMs,
    jobTicketsOnly: z.boolean().default(false).describe('take images only when an XML job ticket names them'),
    allowedOutputRoots: z
      .array(z.string().min(1).max(1000))
      .max(20)
      .default([])
      .describe(
        "folders (absolute, or relative to the shared drive) a job ticket's <outputFolder> may lead into besides the output folder; empty: the output folder only",
      ),
    skipPattern,
    priority,
    pipeline: pipelineSettingsSchema
      .prefault({})
      .describe(
        'the image pipeline: input, enhancement, geometry, colour, output (incl. output.stamp: write the processing stamp), quality (the quality check), previews',
      ),
    workflow: z
      .enum(['all-to-output', 'rejected-to-review', 'rejected-to-bad', 'all-to-review'])
      .default('all-to-output')
      .describe(
        'all-to-output: everything processed to output; rejected-to-review: rejected images wait for a person, the rest to output; rejected-to-bad: rejected originals to the bad folder; all-to-review: every job waits for a person',
      ),
    onOutputExists: z
      .enum(['overwrite', 'counter'])
      .default('counter')
      .describe('an output name that exists already: replace it, or add a counter (name-1.jpg)'),
    stamp: stampSchema,
    resultTickets: z
      .boolean()
      .default(false)
      .describe(
        'write a result ticket (status, verdict, where it went, the processing log) next to each output',
      ),
    pollInput,
  })
  .strict()
  .superRefine((s, ctx) => {
    checkSkipPattern(s.skipPattern, ctx);
    if (s.stamp.whenAlreadyProcessed === 'route' && s.stamp.routeDir === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['stamp', 'routeDir'],
        message: 'is required when whenAlreadyProcessed is route',
      });
    }
  });

export const routingChannelSchema = z
  .object({
    type: z
      .literal('routing')
      .describe('routing: files in the input folder go to a folder or another channel by rules'),
    description,
    group,
    inputDir: folder('input hotfolder', 'in'),
    badDir: folder('bad folder: files no rule and no `otherwise` takes, and unreadable files', 'bad'),
    scanSubfolders,
    fileReadyDelayMs,
    skipPattern,
    priority,
    rules: routingSettingsSchema.shape.rules
      .max(200)
      .default([])
      .describe('ordered routing rules (when -> to); the first that matches decides'),
    otherwise: routingSettingsSchema.shape.otherwise,
    pollInput,
  })
  .strict()
  .superRefine((s, ctx) => checkSkipPattern(s.skipPattern, ctx));

export const purgingChannelSchema = z
  .object({
    type: z
      .literal('purging')
      .describe('purging: deletes the oldest files of a folder by rules, on a schedule'),
    description,
    group,
    folder: z
      .string()
      .min(1)
      .max(4096)
      .describe('the folder to purge; absolute or relative to the shared drive'),
    rules: purgeRulesSchema.describe(
      'when files are deleted: olderThanMs, maxFiles, maxBytes (at least one)',
    ),
    scheduleMs: z
      .number()
      .int()
      .min(1000)
      .max(7 * 24 * 3_600_000)
      .default(3_600_000)
      .describe('ms between two purge runs'),
  })
  .strict();

/** The channel settings schema: one of the three types, by `type`. */
export const channelSettingsSchema = z.discriminatedUnion('type', [
  processChannelSchema,
  routingChannelSchema,
  purgingChannelSchema,
]);

export type ProcessChannelSettings = z.infer<typeof processChannelSchema>;
export type RoutingChannelSettings = z.infer<typeof routingChannelSchema>;
export type PurgingChannelSettings = z.infer<typeof purgingChannelSchema>;
export type ChannelSettings = z.infer<typeof channelSettingsSchema>;
export type ChannelType = ChannelSettings['type'];
export const channelTypes: readonly ChannelType[] = ['process', 'routing', 'purging'];

/** The folder keys of each type that default to `hotfolders/NAME/<sub>` when not given. */
export const channelFolderDefaults: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  process: { inputDir: 'in', outputDir: 'out', badDir: 'bad', originalsDir: 'originals' },
  routing: { inputDir: 'in', badDir: 'bad' },
  purging: {},
};

/** The default folder of channel `name` for `sub` (in, out, bad, originals), relative to the shared drive. */
export function defaultChannelFolder(name: string, sub: string): string {
  return `hotfolders/${name}/${sub}`;
}

function withDefaultFolders(json: unknown, name: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const obj = json as Record<string, unknown>;
  const folders = typeof obj['type'] === 'string' ? channelFolderDefaults[obj['type']] : undefined;
  if (folders === undefined) return json;
  const out = { ...obj };
  for (const [key, sub] of Object.entries(folders)) {
    if (out[key] === undefined) out[key] = defaultChannelFolder(name, sub);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; detail: string } {
  const path = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'too_big':
      return {
        field: path,
        detail: `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`,
      };
    case 'too_small':
      return {
        field: path,
        detail: `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`,
      };
    case 'invalid_type':
      return {
        field: path,
        detail: issue.message.endsWith('received undefined') ? 'is required' : `must be ${issue.expected}`,
      };
    case 'invalid_value':
      return {
        field: path,
        detail: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      return {
        field: path === '' ? key : `${path}.${key}`,
        detail: `unknown setting${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''} (docs/channels.md lists every setting)`,
      };
    }
    case 'invalid_union':
      if (issue.discriminator !== undefined) {
        return { field: path, detail: `must be one of ${channelTypes.map((t) => `"${t}"`).join(', ')}` };
      }
      return { field: path, detail: issue.message };
    default:
      return { field: path, detail: issue.message };
  }
}

/**
 * Validates channel settings at the door: fills the default folders (`hotfolders/NAME/...`,
 * relative to the shared drive) and every default, and returns them frozen. `channel` names the
 * channel in errors. Throws E_SETTINGS_INVALID naming the first bad field path, e.g.
 * `channel press: pipeline.output.quality: must be <= 100`.
 */
export function parseChannelSettings(json: unknown, channel: string): ChannelSettings {
  const name = channelNameSchema.safeParse(channel);
  if (!name.success) {
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: `channel name "${channel}"`,
      detail: name.error.issues[0]?.message ?? 'invalid',
    });
  }
  const result = channelSettingsSchema.safeParse(withDefaultFolders(json, channel));
  if (!result.success) {
    const first = result.error.issues[0]!;
    const { field, detail } = describeIssue(first);
    const where = `channel ${channel}`;
    throw new DarkroomError('E_SETTINGS_INVALID', {
      field: `${where}: ${field === '' ? '(settings)' : field}`,
      path: field,
      where,
      detail,
    });
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Where a stored folder setting points: absolute paths as they are, relative ones under the shared drive. */
export function resolveChannelFolder(sharedDir: string, dir: string): string {
  return isAbsolute(dir) ? dir : join(sharedDir, dir);
}

/** The folders a channel reads and writes, resolved against the shared drive (by setting key). */
export function channelFolders(
  sharedDir: string,
  settings: ChannelSettings,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  switch (settings.type) {
    case 'process':
      out['inputDir'] = settings.inputDir;
      out['outputDir'] = settings.outputDir;
      out['badDir'] = settings.badDir;
      out['originalsDir'] = settings.originalsDir;
      if (settings.stamp.routeDir !== undefined) out['stamp.routeDir'] = settings.stamp.routeDir;
      break;
    case 'routing':
      out['inputDir'] = settings.inputDir;
      out['badDir'] = settings.badDir;
      break;
    case 'purging':
      out['folder'] = settings.folder;
      break;
  }
  for (const [k, v] of Object.entries(out)) out[k] = resolveChannelFolder(sharedDir, v);
  return Object.freeze(out);
}
