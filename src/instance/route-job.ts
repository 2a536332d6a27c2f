// One job of a routing channel: the first matching rule (decideRouting) sends the file to a folder
// or into another channel's input folder (that channel then takes it like any dropped file).
// Facts: the name and size, and from the image header (image-facts.ts) the format, colour space,
// displayed width/height and EXIF/IPTC/stamp fields.
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { resolveChannelFolder } from '../channels/channel-settings.js';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { decideRouting, type RoutingFacts, type RoutingSettings } from '../hotfolders/decide-routing.js';
import { readImageFacts } from '../imaging/image-facts.js';
import { sniffFormat } from '../imaging/image-input.js';
import { planOf, type RoutingPlan } from './channel-plan.js';
import { moveExclusive } from './exclusive-move.js';
import type { JobContext } from './job-context.js';
import { writeMarker } from './work-marker.js';
import type { JobResultPlan } from './worker-role.js';

/** Name and size from the job; format, colour space, size and metadata fields from the image header. */
async function factsOf(path: string, relPath: string, bytes: number): Promise<RoutingFacts> {
  const facts = await readImageFacts(path);
  let format = facts.format;
  if (format === undefined) {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(64);
      await fh.read(head, 0, 64, 0);
      format = sniffFormat(head);
    } finally {
      await fh.close();
    }
  }
  return {
    relPath,
    bytes,
    ...(format !== undefined ? { format } : {}),
    ...(facts.colourSpace !== undefined ? { colourSpace: facts.colourSpace } : {}),
    ...(facts.widthPx !== undefined ? { widthPx: facts.widthPx } : {}),
    ...(facts.heightPx !== undefined ? { heightPx: facts.heightPx } : {}),
    fields: facts.fields,
  };
}

const MARKER = '.darkroom-routed.json';

/** The outcome of a job whose input was moved, unchanged, to `path` (absolute, on this mount). */
export function routed(ctx: JobContext, path: string): JobResultPlan {
  return {
    outcome: {
      type: 'JobCompleted',
      data: {
        jobId: ctx.job.jobId,
        attempt: ctx.job.attempt,
        outcome: 'routed',
        outputs: [toDrivePath(ctx.sharedDir, path)],
        timingsMs: {},
      },
    },
    after: ctx.discardWork,
  };
}

export async function routeJob(ctx: JobContext, plan: RoutingPlan): Promise<JobResultPlan> {
  const { job } = ctx;
  const workDir = join(ctx.sharedDir, job.workDir);
  const input = join(workDir, job.file);
  const earlier = await readFile(join(workDir, MARKER), 'utf8').then(
    (t) => fromDrivePath(ctx.sharedDir, (JSON.parse(t) as { path: string }).path),
    () => undefined,
  );
  if (earlier !== undefined) return routed(ctx, earlier);
  const settings: RoutingSettings = {
    rules: plan.settings.rules,
    ...(plan.settings.otherwise !== undefined ? { otherwise: plan.settings.otherwise } : {}),
  };
  const decision = decideRouting(settings, await factsOf(input, job.relPath, job.bytes));
  if (decision.kind === 'unmatched') {
    throw new DarkroomError('E_ROUTE_NO_MATCH', { file: job.relPath, channel: plan.name });
  }
  const to = decision.to;
  let dir: string;
  if ('folder' in to) {
    const rel = dirname(job.relPath);
    const base = resolveChannelFolder(ctx.sharedDir, to.folder);
    dir = rel === '.' ? base : join(base, rel);
  } else {
    const target = ctx.channels(to.channel);
    if (target === undefined) throw new DarkroomError('E_CHANNEL_UNKNOWN', { name: to.channel });
    const targetPlan = planOf(target, ctx.sharedDir, { pollHotfolders: false });
    if (targetPlan.type === 'purging') {
      throw new DarkroomError('E_SETTINGS_INVALID', {
        field: `routing target ${to.channel}`,
        detail: 'is a purging channel',
      });
    }
    dir = targetPlan.input;
  }
  await ctx.guard.check();
  // The marker is written before the work copy goes (as for originals): a crash between the two
  // leaves the work copy, and the rerun recognises its earlier link and records it again.
  const path = await moveExclusive(input, dir, basename(job.relPath), (dest) =>
    writeMarker(join(workDir, MARKER), { path: toDrivePath(ctx.sharedDir, dest) }),
  );
  ctx.logger.info({ jobId: job.jobId, to, path }, 'routed');
  return routed(ctx, path);
}
