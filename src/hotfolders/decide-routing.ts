// Routing: a routing channel's ordered rules on name pattern, format, colour space, size and
// EXIF/IPTC fields send each file to a folder or to another channel; the first match wins. Pure.
import { z } from 'zod';
import { compileSkipPattern } from './ignored-file.js';

const targetSchema = z.union([
  z
    .object({ folder: z.string().min(1).describe('absolute folder, or relative to the shared drive') })
    .strict(),
  z.object({ channel: z.string().min(1).describe('the channel whose input receives the file') }).strict(),
]);
export type RoutingTarget = z.infer<typeof targetSchema>;

const px = z.number().int().nonnegative();
const fieldTestSchema = z
  .object({
    field: z.string().min(1).describe('a metadata field, e.g. `exif.Model`, `iptc.keywords`, `iptc.credit`'),
    op: z.enum(['equals', 'contains', 'matches', 'exists', 'absent']).default('equals'),
    value: z
      .string()
      .optional()
      .describe('text to compare (case-insensitive); a /regex/ or glob for `matches`'),
  })
  .strict()
  .refine((t) => t.op === 'exists' || t.op === 'absent' || t.value !== undefined, {
    message: 'needs a value unless op is exists or absent',
    path: ['value'],
  });

export const routingConditionSchema = z
  .object({
    namePattern: z
      .string()
      .min(1)
      .optional()
      .describe('glob on the name (on the relative path with a `/`) or /regex/'),
    formats: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('detected formats: jpeg, png, tiff, webp, heif, gif'),
    colourSpaces: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('srgb, rgb, cmyk, b-w (grey), lab ...'),
    minWidthPx: px.optional(),
    maxWidthPx: px.optional(),
    minHeightPx: px.optional(),
    maxHeightPx: px.optional(),
    minBytes: z.number().int().nonnegative().optional(),
    maxBytes: z.number().int().nonnegative().optional(),
    orientation: z.enum(['landscape', 'portrait', 'square']).optional(),
    fields: z.array(fieldTestSchema).optional().describe('all must hold'),
  })
  .strict();

export const routingRuleSchema = z
  .object({
    name: z.string().optional().describe('shown in the job history'),
    when: routingConditionSchema.describe(
      'all given conditions must hold; an empty `when` matches everything',
    ),
    to: targetSchema,
  })
  .strict();
export type RoutingRule = z.infer<typeof routingRuleSchema>;

export const routingSettingsSchema = z
  .object({
    rules: z.array(routingRuleSchema).describe('tried in order; the first match wins'),
    otherwise: targetSchema
      .optional()
      .describe('where files go that no rule matches (default: the bad folder)'),
  })
  .strict();
export type RoutingSettings = z.infer<typeof routingSettingsSchema>;

/** What the router knows about one file (from the name, the stat and the image's metadata). */
export interface RoutingFacts {
  readonly relPath: string;
  readonly bytes: number;
  readonly format?: string;
  readonly colourSpace?: string;
  readonly widthPx?: number;
  readonly heightPx?: number;
  /** Flattened metadata: `exif.Model`, `iptc.keywords` (a list), `xmp.darkroom.jobId` ... */
  readonly fields?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
}

export type RoutingDecision =
  | { readonly kind: 'routed'; readonly to: RoutingTarget; readonly rule: number; readonly ruleName?: string }
  | { readonly kind: 'otherwise'; readonly to: RoutingTarget }
  | { readonly kind: 'unmatched' };

/** The first rule whose conditions all hold decides; else `otherwise`; else unmatched. */
export function decideRouting(settings: RoutingSettings, facts: RoutingFacts): RoutingDecision {
  for (const [i, rule] of settings.rules.entries()) {
    if (matches(rule.when, facts)) {
      return {
        kind: 'routed',
        to: rule.to,
        rule: i,
        ...(rule.name !== undefined ? { ruleName: rule.name } : {}),
      };
    }
  }
  return settings.otherwise ? { kind: 'otherwise', to: settings.otherwise } : { kind: 'unmatched' };
}

const colourAliases: Record<string, string> = { grey: 'b-w', gray: 'b-w', grey16: 'b-w', rgb16: 'rgb' };
const formatAliases: Record<string, string> = { jpg: 'jpeg', tif: 'tiff', avif: 'heif', heic: 'heif' };
const norm = (v: string, aliases: Record<string, string>) => aliases[v.toLowerCase()] ?? v.toLowerCase();

function matches(when: z.infer<typeof routingConditionSchema>, f: RoutingFacts): boolean {
  if (when.namePattern !== undefined && !compileSkipPattern(when.namePattern, 'when.namePattern')(f.relPath))
    return false;
  if (
    when.formats &&
    !(
      f.format !== undefined &&
      when.formats.some((x) => norm(x, formatAliases) === norm(f.format!, formatAliases))
    )
  ) {
    return false;
  }
  if (
    when.colourSpaces &&
    !(
      f.colourSpace !== undefined &&
      when.colourSpaces.some((x) => norm(x, colourAliases) === norm(f.colourSpace!, colourAliases))
    )
  ) {
    return false;
  }
  if (!within(f.widthPx, when.minWidthPx, when.maxWidthPx)) return false;
  if (!within(f.heightPx, when.minHeightPx, when.maxHeightPx)) return false;
  if (!within(f.bytes, when.minBytes, when.maxBytes)) return false;
  if (when.orientation !== undefined) {
    if (f.widthPx === undefined || f.heightPx === undefined) return false;
    const o = f.widthPx > f.heightPx ? 'landscape' : f.widthPx < f.heightPx ? 'portrait' : 'square';
    if (o !== when.orientation) return false;
  }
  return (when.fields ?? []).every((t) => fieldHolds(t, f.fields?.[t.field]));
}

/** An unknown value never satisfies a bound. */
function within(v: number | undefined, min: number | undefined, max: number | undefined): boolean {
  if (min === undefined && max === undefined) return true;
  if (v === undefined) return false;
  return (min === undefined || v >= min) && (max === undefined || v <= max);
}

function fieldHolds(
  t: z.infer<typeof fieldTestSchema>,
  raw: string | number | readonly string[] | undefined,
): boolean {
  const values = raw === undefined ? [] : Array.isArray(raw) ? (raw as readonly string[]) : [String(raw)];
  const present = values.some((v) => v.trim() !== '');
  if (t.op === 'exists') return present;
  if (t.op === 'absent') return !present;
  const want = (t.value ?? '').toLowerCase();
  if (t.op === 'equals') return values.some((v) => v.toLowerCase() === want);
  if (t.op === 'contains') return values.some((v) => v.toLowerCase().includes(want));
  const test = compileSkipPattern(t.value ?? '', `fields.${t.field}`);
  return values.some((v) => test(v));
}
