// One job of an image-processing channel: the pipeline with the channel's settings at that moment
// (plus the job ticket's overrides), the quality verdict and workflow, the processing stamp,
// publishing the one output, the original kept/deleted/left, the result ticket.
// Every step that touches a folder is idempotent per job, so a rerun after a crash finishes the
// job without a second output (markers in work/<jobId>/, see publish-output.ts).
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import { parseChannelSettings } from '../channels/channel-settings.js';
import { mergePatch } from '../channels/settings-paths.js';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { crashAt } from '../events/crash-point.js';
import { confineOutputFolder } from '../hotfolders/job-ticket.js';
import { resultTicketPath, writeResultTicket, type JobResult } from '../hotfolders/result-ticket.js';
import { runPipeline } from '../imaging/pipeline.js';
import { readStamp } from '../imaging/processing-stamp.js';
import type { JobView } from '../projections/state.js';
import type { ProcessPlan, ProcessSettings } from './channel-plan.js';
import { moveExclusive } from './exclusive-move.js';
import type { JobContext } from './job-context.js';
import { noopImageArmed } from './job-hooks.js';
import { publishOutput, readPublished } from './publish-output.js';
import { writeMarker } from './work-marker.js';
import { routed } from './route-job.js';
import type { JobResultPlan } from './worker-role.js';

const SUMMARY = '.darkroom-summary.json';
const ORIGINAL = '.darkroom-original.json';

/** The job ticket's part of JobSubmitted.ticket that processing reads. */
export interface TicketOverrides {
  readonly file?: string;
  readonly reference?: string;
  readonly outputFolder?: string;
  readonly resultTicket?: boolean;
  readonly iptc?: Readonly<Record<string, unknown>>;
  readonly overrides?: Readonly<Record<string, unknown>>;
}

interface Summary {
  readonly analysis?: Record<string, unknown>;
  readonly corrections?: Record<string, unknown>;
  readonly verdict?: Record<string, unknown>;
  readonly timingsMs: Record<string, number>;
}

/** The channel settings with the ticket's pipeline overrides deep-merged, validated again. */
export function settingsFor(
  channel: string,
  raw: Readonly<Record<string, unknown>>,
  ticket: TicketOverrides | undefined,
): ProcessSettings {
  const overrides = ticket?.overrides;
  if (overrides === undefined || Object.keys(overrides).length === 0) {
    return parseChannelSettings(raw, channel) as ProcessSettings;
  }
  const pipeline = (raw['pipeline'] ?? {}) as Record<string, unknown>;
  return parseChannelSettings(
    { ...raw, pipeline: mergePatch(pipeline, overrides) },
    channel,
  ) as ProcessSettings;
}

const extensions: Readonly<Record<string, string>> = { jpeg: '.jpg', tiff: '.tif', heif: '.avif' };

/** `sub/photo.png` + jpeg -> `photo.jpg`. */
export function outputName(relPath: string, format: string): string {
  const name = basename(relPath);
  const ext = extname(name);
  return `${ext.length > 0 ? name.slice(0, -ext.length) : name}${extensions[format] ?? `.${format}`}`;
}

/** The output folder: the channel's, or the ticket's <outputFolder> as confined (a real path). */
function outputDirOf(plan: ProcessPlan, job: JobView, ticketFolder: string | undefined): string {
  const rel = dirname(job.relPath);
  const base = ticketFolder ?? plan.output;
  return rel === '.' ? base : join(base, rel);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Runs a process-channel job up to the outcome to append. Input errors throw (the caller moves to bad). */
export async function processJob(ctx: JobContext, plan: ProcessPlan): Promise<JobResultPlan> {
  const { job, guard } = ctx;
  const ticket = job.ticket as TicketOverrides | undefined;
  const workDir = join(ctx.sharedDir, job.workDir);
  const input = join(workDir, job.file);
  const settings = settingsFor(plan.name, ctx.channelSettings, ticket);
  const started = ctx.clock.now();
  // The file work around the pipeline, step by step (JobCompleted.timingsMs; bench:e2e sums them).
  const fileMs: Record<string, number> = {};
  let mark = started;
  const lap = (step: string): void => {
    const now = ctx.clock.now();
    fileMs[step] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };

  // The markers of an earlier attempt and the input, read at once (the input is not needed when an
  // earlier attempt published; on a first attempt the markers are absent).
  const reading = readFile(input).then(
    (data) => ({ data }),
    (err: unknown) => ({ err }),
  );
  let [outputPath, summary] = await Promise.all([
    readPublished(workDir, ctx.sharedDir),
    readJson<Summary>(join(workDir, SUMMARY)),
  ]);
  let outcome: 'processed' | 'skipped' = 'processed';
  if (outputPath === undefined || summary === undefined) {
    const read = await reading;
    if ('err' in read) {
      if ((read.err as { code?: string }).code === 'ENOENT') {
        throw new DarkroomError('E_INPUT_MISSING', { jobId: job.jobId, file: job.workDir + '/' + job.file });
      }
      throw read.err;
    }
    const data = read.data;
    lap('fileRead');
    const noop = noopImageArmed();
    const stamp = noop ? undefined : await readStamp(data).catch(() => undefined);
    let out: { data: Uint8Array; name: string };
    if (noop) {
      out = { data, name: basename(job.relPath) };
      summary = { timingsMs: { total: ctx.clock.now() - started } };
    } else if (stamp !== undefined && settings.stamp.whenAlreadyProcessed !== 'process') {
      if (settings.stamp.whenAlreadyProcessed === 'route') return routeProcessed(ctx, plan, settings, input);
      outcome = 'skipped';
      out = { data, name: basename(job.relPath) };
      summary = { timingsMs: { total: ctx.clock.now() - started } };
    } else {
      const result = await runPipeline(data, settings.pipeline, {
        fileName: job.relPath,
        // Nothing of a job keeps the previews: the Inspector makes its own from input and output.
        previews: false,
        stamp: { channel: plan.name, jobId: job.jobId },
        ...(ticket?.iptc !== undefined ? { iptc: ticket.iptc } : {}),
      });
      summary = {
        analysis: result.analysis as unknown as Record<string, unknown>,
        corrections: result.corrections as unknown as Record<string, unknown>,
        verdict: result.verdict as unknown as Record<string, unknown>,
        timingsMs: { ...result.timingsMs },
      };
      const passed = result.verdict.pass;
      if (settings.workflow === 'all-to-review' || (!passed && settings.workflow === 'rejected-to-review')) {
        return review(ctx, workDir, result.data, outputName(job.relPath, result.format), summary);
      }
      if (!passed && settings.workflow === 'rejected-to-bad') {
        throw new DarkroomError('E_QUALITY_REJECTED', {
          file: job.relPath,
          reasons: result.verdict.reasons.join('; '),
        });
      }
      out = { data: result.data, name: outputName(job.relPath, result.format) };
    }
    mark = ctx.clock.now();
    // Three things at once, none irreversible before the check passed: the summary marker (a rerun
    // that finds it and the published marker skips the pipeline; without it, it runs the pipeline
    // again and reuses the output), the attempt check (a log catch-up, which waits behind this
    // instance's appends), and the output's temp file with its flush. Only the link, the exclusive
    // step that publishes, waits for the check (publishOutput's beforePublish).
    const summaryWritten = writeFile(join(workDir, SUMMARY), `${JSON.stringify(summary)}\n`);
    const checked = guard.check().then(() => lap('fileCheck'));
    // Handled where awaited; this keeps an early rejection from counting as unhandled meanwhile.
    summaryWritten.catch(() => undefined);
    checked.catch(() => undefined);
    // Checked again right before writing (a folder or symlink may have changed since ingest), and
    // the real path it leads to is the one written to: never a lexical join of the ticket's text.
    const ticketFolder =
      ticket?.outputFolder === undefined
        ? undefined
        : await confineOutputFolder(ticket.outputFolder, plan, ctx.sharedDir, ticket.file ?? job.relPath);
    const published = await publishOutput({
      outputDir: outputDirOf(plan, job, ticketFolder),
      fileName: out.name,
      data: out.data,
      jobId: job.jobId,
      attempt: job.attempt,
      sharedDir: ctx.sharedDir,
      workDir,
      onOutputExists: settings.onOutputExists,
      isOurs: async (p) => (await readStamp(p).catch(() => undefined))?.context?.['jobId'] === job.jobId,
      beforePublish: async () => checked,
      afterPublish: async () => guard.check(),
    });
    await summaryWritten;
    outputPath = published.path;
    lap('filePublish');
    crashAt('after-publish');
  } else {
    await guard.check();
  }
  mark = ctx.clock.now();
  const original = await handleOriginal(ctx, plan, settings, workDir, input);
  lap('fileOriginal');
  const timingsMs = { ...summary.timingsMs, ...fileMs, endToEnd: ctx.clock.now() - started };
  if (settings.resultTickets || ticket?.resultTicket === true) {
    await writeResultTicket(resultTicketPath(outputPath), resultOf(ctx, plan, outputPath, original, summary));
  }
  return {
    outcome: {
      type: 'JobCompleted',
      data: {
        jobId: job.jobId,
        attempt: job.attempt,
        outcome,
        outputs: [toDrivePath(ctx.sharedDir, outputPath)],
        ...(original.path !== undefined ? { original: toDrivePath(ctx.sharedDir, original.path) } : {}),
        timingsMs,
        ...(summary.analysis !== undefined ? { analysis: summary.analysis } : {}),
        ...(summary.corrections !== undefined ? { corrections: summary.corrections } : {}),
        ...(summary.verdict !== undefined ? { verdict: summary.verdict } : {}),
      },
    },
    ...(settings.originals === 'leave' ? {} : { after: ctx.discardWork }),
  };
}

interface OriginalFate {
  readonly action: 'archived' | 'deleted' | 'left';
  readonly path?: string;
}

/**
 * Moves the original to the originals folder, deletes it or leaves it in work/ (idempotent). The
 * marker names the path by its drive path; the fate returned has it absolute, on this mount.
 */
async function handleOriginal(
  ctx: JobContext,
  plan: ProcessPlan,
  settings: ProcessSettings,
  workDir: string,
  input: string,
): Promise<OriginalFate> {
  const done = await readJson<OriginalFate>(join(workDir, ORIGINAL));
  if (done !== undefined) {
    return done.path === undefined ? done : { ...done, path: fromDrivePath(ctx.sharedDir, done.path) };
  }
  const record = async (fate: OriginalFate): Promise<void> => {
    const recorded =
      fate.path === undefined ? fate : { ...fate, path: toDrivePath(ctx.sharedDir, fate.path) };
    await writeMarker(join(workDir, ORIGINAL), recorded);
  };
  let fate: OriginalFate;
  if (settings.originals === 'keep') {
    const rel = dirname(ctx.job.relPath);
    // The marker is written before the work copy goes: a crash between the two must not leave a
    // rerun looking for a work copy that is already in the originals folder (a 20-minute soak
    // saw one job released thousands of times on that ENOENT).
    const path = await moveExclusive(
      input,
      rel === '.' ? plan.originalsDir : join(plan.originalsDir, rel),
      basename(ctx.job.relPath),
      (dest) => record({ action: 'archived', path: dest }),
    );
    return { action: 'archived', path };
  } else if (settings.originals === 'delete') {
    await unlink(input).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    });
    fate = { action: 'deleted' };
  } else {
    fate = { action: 'left', path: input };
  }
  await record(fate);
  return fate;
}

/** Already processed and the channel routes such inputs: the original goes to routeDir unchanged. */
async function routeProcessed(
  ctx: JobContext,
  plan: ProcessPlan,
  settings: ProcessSettings,
  input: string,
): Promise<JobResultPlan> {
  const routeDir = settings.stamp.routeDir!;
  const dir = isAbsolute(routeDir) ? routeDir : join(ctx.sharedDir, routeDir);
  await ctx.guard.check();
  const path = await moveExclusive(input, dir, basename(ctx.job.relPath));
  ctx.logger.info({ jobId: ctx.job.jobId, channel: plan.name, path }, 'already processed: routed');
  return routed(ctx, path);
}

/** Keeps the result in work/<jobId>/ as the review preview; the job waits in state review. */
async function review(
  ctx: JobContext,
  workDir: string,
  data: Uint8Array,
  name: string,
  summary: Summary,
): Promise<JobResultPlan> {
  const preview = join(workDir, `review-${name}`);
  await writeFile(preview, data);
  await writeFile(join(workDir, SUMMARY), `${JSON.stringify(summary)}\n`);
  return {
    outcome: {
      type: 'JobReviewRequested',
      data: {
        jobId: ctx.job.jobId,
        attempt: ctx.job.attempt,
        verdict: summary.verdict ?? {},
        preview: `${ctx.job.workDir}/review-${name}`,
      },
    },
  };
}

function resultOf(
  ctx: JobContext,
  plan: ProcessPlan,
  outputPath: string,
  original: OriginalFate,
  summary: Summary,
): JobResult {
  const ticket = ctx.job.ticket as TicketOverrides | undefined;
  const v = summary.verdict as { pass?: boolean; reasons?: string[] } | undefined;
  // Drive paths, like the events: the ticket's reader (another system, another mount of the
  // share) resolves them against its own mount of the drive (docs/cluster.md, "Drive paths").
  const output = toDrivePath(ctx.sharedDir, outputPath);
  return {
    jobId: ctx.job.jobId,
    channel: plan.name,
    ...(ticket?.reference !== undefined ? { reference: ticket.reference } : {}),
    image: ctx.job.relPath,
    status: 'completed',
    ...(v?.pass !== undefined ? { verdict: { passed: v.pass, reasons: v.reasons ?? [] } } : {}),
    outputs: [output],
    original: {
      action: original.action,
      ...(original.path !== undefined ? { path: toDrivePath(ctx.sharedDir, original.path) } : {}),
    },
    instance: ctx.instanceId,
    attempt: ctx.job.attempt,
    finishedAt: ctx.clock.wallTime().toISOString(),
    log: [{ at: ctx.clock.wallTime().toISOString(), level: 'info', message: `published ${output}` }],
  };
}
