// Ingest: a ready file in a channel's hotfolder (or a ticket in the generic ticket folder naming
// its channel) becomes exactly one job — taken into work/<jobId>/ by takeFile (the atomic
// rename), then JobSubmitted; work folders whose append was lost (a crash between the two) are
// found and submitted by recoverOrphans.
import type { Clock } from '../clock.js';
import type { Condition } from '../events/conditions.js';
import type { EventLog } from '../events/event-log.js';
import { crashAt } from '../events/crash-point.js';
import type { DarkroomEvent } from '../events/event-types.js';
import type { ReadyFile } from '../hotfolders/hotfolder-watcher.js';
import {
  discardAbandoned,
  discardWork,
  findOrphanedWork,
  manifestName,
  resolveParkedWork,
  resumeClaimedTake,
  takeFile,
  workDirOf,
  workManifestSchema,
  type TakenFile,
} from '../hotfolders/take-file.js';
import {
  confineOutputFolder,
  isJobTicketName,
  readJobTicket,
  type JobTicket,
} from '../hotfolders/job-ticket.js';
import { asDarkroomError, DarkroomError } from '../errors/darkroom-error.js';
import type { IdSource } from '../ids.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { errorText } from './bad-folder.js';
import { planOf, type ProcessPlan, type RoutingPlan, type WatchedPlan } from './channel-plan.js';
import { moveExclusive, writeExclusive } from './exclusive-move.js';
import { settingsFor, type TicketOverrides } from './process-job.js';
import { isArchived } from '../projections/jobs.js';
import { fromDrivePath, toDrivePath } from '../drive-path.js';
import { resolveChannelFolder } from '../channels/channel-settings.js';
import { ownFolderOf } from '../hotfolders/own-output.js';

export interface IngestOptions {
  readonly sharedDir: string;
  readonly log: EventLog<ProjectionState>;
  readonly ids: IdSource;
  readonly instanceId: string;
  readonly clock: Clock;
  /** Work folders younger than this are left alone by orphan recovery (a take may be under way). */
  readonly orphanMinAgeMs: number;
  readonly logger: Logger;
  readonly append: (events: readonly DarkroomEvent[], conditions: readonly Condition[]) => Promise<void>;
}

export interface Submission {
  readonly channel: string;
  readonly relPath: string;
  /** Where the input came from: its drive path (src/drive-path.ts) or `upload:NAME`. */
  readonly source: string;
  readonly ticket?: Readonly<Record<string, unknown>>;
}

export class Ingest {
  readonly #o: IngestOptions;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(o: IngestOptions) {
    this.#o = o;
  }

  /**
   * A ready file of a watched channel: a job ticket submits the images it names (with its
   * overrides); an image is submitted unless the channel takes images only through tickets.
   */
  async accept(plan: WatchedPlan, file: ReadyFile): Promise<void> {
    if (await this.#isOwnOutput(plan, file)) return;
    if (isJobTicketName(file.relPath)) {
      await this.#acceptTicket(plan, file);
      return;
    }
    // The generic ticket folder's images wait for the ticket naming them.
    if (plan.type === 'tickets' || (plan.type === 'process' && plan.settings.jobTicketsOnly)) return;
    await this.submit(plan.name, file);
  }

  /**
   * True (and warned) when the file really lies in a folder darkroom writes for this channel: it
   * is left where it is, never taken (it would loop: taken, published back, taken again). The
   * watcher reports a file once, and again only when it changes: one warning per file.
   */
  async #isOwnOutput(plan: WatchedPlan, file: ReadyFile): Promise<boolean> {
    const folders: Record<string, string> =
      plan.type === 'process'
        ? {
            outputDir: plan.output,
            badDir: plan.bad,
            originalsDir: plan.originalsDir,
            ...(plan.settings.stamp.routeDir !== undefined
              ? { 'stamp.routeDir': resolveChannelFolder(this.#o.sharedDir, plan.settings.stamp.routeDir) }
              : {}),
          }
        : plan.type === 'routing'
          ? { badDir: plan.bad }
          : {};
    const own = await ownFolderOf(file.path, folders).catch(() => undefined);
    if (own === undefined) return false;
    const e = new DarkroomError('E_INPUT_IS_OWN_OUTPUT', {
      channel: plan.name,
      file: file.relPath,
      folder: own.key,
      real: own.real,
    });
    this.#o.logger.warn({ code: e.code, channel: plan.name, file: file.relPath, real: own.file }, e.message);
    return true;
  }

  /** The channel a ticket in the generic ticket folder names (E_TICKET_INVALID when it cannot be used). */
  #namedChannel(ticket: JobTicket, file: ReadyFile): ProcessPlan | RoutingPlan {
    const fail = (detail: string) =>
      new DarkroomError('E_TICKET_INVALID', { file: file.relPath, detail: `jobTicket/channel: ${detail}` });
    if (ticket.channel === undefined) {
      throw fail('a ticket in the generic ticket folder must name its channel in <channel>');
    }
    const channels = this.#o.log.state.config.channels;
    const view = channels.get(ticket.channel);
    if (view === undefined) {
      const known = [...channels.keys()].sort().join(', ');
      throw fail(`no channel named "${ticket.channel}" (channels: ${known === '' ? 'none' : known})`);
    }
    const target = planOf(view, this.#o.sharedDir, { pollHotfolders: false });
    if (target.type === 'purging') {
      throw fail(`channel "${ticket.channel}" is a purging channel; name a process or routing channel`);
    }
    return target;
  }

  async #acceptTicket(plan: WatchedPlan, file: ReadyFile): Promise<void> {
    const dir = dirname(file.path);
    const relDir = dirname(file.relPath);
    let ticket: JobTicket | undefined;
    let target: ProcessPlan | RoutingPlan;
    try {
      ticket = await readJobTicket(file.path);
      target = plan.type === 'tickets' ? this.#namedChannel(ticket, file) : plan;
      if (target.type === 'process') {
        try {
          settingsFor(target.name, target.settings, { overrides: ticket.overrides });
        } catch (err) {
          const e = asDarkroomError(err);
          throw new DarkroomError('E_TICKET_INVALID', {
            file: file.relPath,
            detail: `<settings>: ${e.message}`,
          });
        }
      }
      if (target.type === 'process' && ticket.outputFolder !== undefined) {
        await confineOutputFolder(ticket.outputFolder, target, this.#o.sharedDir, file.relPath);
      }
      const missing: string[] = [];
      for (const name of ticket.images) {
        if ((await stat(join(dir, name)).catch(() => undefined)) === undefined) missing.push(name);
      }
      if (missing.length > 0) {
        throw new DarkroomError('E_TICKET_INVALID', {
          file: file.relPath,
          detail: `names image(s) not in the folder: ${missing.join(', ')}`,
        });
      }
    } catch (err) {
      const e = asDarkroomError(err);
      if (e.kind !== 'input') throw err;
      await this.#ticketToBad(plan, file, e, ticket?.images ?? []);
      return;
    }
    const overrides: TicketOverrides = {
      file: basename(file.relPath),
      ...(ticket.reference !== undefined ? { reference: ticket.reference } : {}),
      ...(ticket.outputFolder !== undefined ? { outputFolder: ticket.outputFolder } : {}),
      ...(ticket.resultTicket ? { resultTicket: true } : {}),
      ...(ticket.iptc !== undefined ? { iptc: ticket.iptc } : {}),
      overrides: ticket.overrides,
    };
    for (const name of ticket.images) {
      const relPath = relDir === '.' ? name : `${relDir}/${name}`;
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined) continue; // taken meanwhile as a plain image
      await this.submit(
        target.name,
        { path, relPath, bytes: st.size, mtimeMs: st.mtimeMs },
        { ...overrides },
      );
    }
    await unlink(file.path).catch(() => undefined);
  }

  /** A bad ticket goes to the bad folder with the images it names, and an error file. */
  async #ticketToBad(
    plan: WatchedPlan,
    file: ReadyFile,
    e: DarkroomError,
    images: readonly string[],
  ): Promise<void> {
    const rel = dirname(file.relPath);
    const badDir = rel === '.' ? plan.bad : join(plan.bad, rel);
    const moved = await moveExclusive(file.path, badDir, basename(file.relPath));
    const time = this.#o.clock.wallTime().toISOString();
    const report = {
      code: e.code,
      message: e.message,
      fix: e.fix,
      channel: plan.name,
      instanceId: this.#o.instanceId,
      jobId: '-',
      time,
    };
    await writeExclusive(badDir, `${basename(moved)}.error.txt`, errorText(report, file.relPath));
    for (const name of images) {
      await moveExclusive(join(dirname(file.path), name), badDir, name).catch(() => undefined);
    }
    this.#o.logger.warn(
      { channel: plan.name, ticket: file.relPath, err: e.message },
      'bad job ticket moved to the bad folder',
    );
  }

  /** Takes a ready file of `channel` and submits it; undefined when another taker won. */
  async submit(
    channel: string,
    file: ReadyFile,
    ticket?: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined> {
    const jobId = this.#o.ids.next();
    const work = this.#take(jobId, file.path, { channel, relPath: file.relPath });
    this.#inFlight.set(jobId, work);
    try {
      const taken = await work;
      if (taken === undefined) return undefined;
      crashAt('after-take');
      await this.appendSubmitted(taken, {
        channel,
        relPath: file.relPath,
        source: toDrivePath(this.#o.sharedDir, file.path),
        ...(ticket !== undefined ? { ticket } : {}),
      });
      return jobId;
    } finally {
      this.#inFlight.delete(jobId);
    }
  }

  async #take(
    jobId: string,
    path: string,
    meta: { channel: string; relPath: string },
  ): Promise<TakenFile | undefined> {
    return takeFile(this.#o.sharedDir, path, jobId, meta);
  }

  /** Appends JobSubmitted for a taken file. If the append fails, the work folder is an orphan. */
  async appendSubmitted(taken: TakenFile, s: Submission): Promise<void> {
    await this.#o.append(
      [
        {
          type: 'JobSubmitted',
          data: {
            jobId: taken.jobId,
            channel: s.channel,
            source: s.source,
            relPath: s.relPath,
            workDir: taken.workDirRel,
            file: taken.file,
            bytes: taken.bytes,
            ...(s.ticket !== undefined ? { ticket: { ...s.ticket } } : {}),
            submittedBy: this.#o.instanceId,
          },
        },
      ],
      [{ kind: 'jobAbsent', jobId: taken.jobId }],
    );
    this.#o.logger.debug({ jobId: taken.jobId, channel: s.channel, relPath: s.relPath }, 'job submitted');
  }

  /** Submits work folders taken but never submitted; discards takes that never happened. */
  async recoverOrphans(): Promise<number> {
    const state = this.#o.log.state;
    const orphans = await findOrphanedWork(
      this.#o.sharedDir,
      (id) => state.jobs.all.has(id) || isArchived(state.jobs, id),
      {
        exclude: new Set(this.#inFlight.keys()),
        minAgeMs: this.#o.orphanMinAgeMs,
        nowMs: this.#o.clock.wallTime().getTime(),
      },
    );
    await resolveParkedWork(this.#o.sharedDir);
    let submitted = 0;
    for (const orphan of orphans) {
      const m = orphan.manifest;
      if (orphan.kind === 'abandoned') {
        if (!(await discardAbandoned(this.#o.sharedDir, orphan.jobId)))
          this.#o.logger.info({ jobId: orphan.jobId }, 'work folder seen without its input holds it: kept');
        continue;
      }
      if (orphan.kind === 'unknown' || m === undefined) {
        this.#o.logger.warn(
          { workDir: orphan.workDir },
          'work folder without a manifest and without a job: left alone',
        );
        continue;
      }
      const taken: TakenFile =
        orphan.kind === 'claimed'
          ? await resumeClaimedTake(orphan)
          : {
              jobId: orphan.jobId,
              workDir: orphan.workDir,
              workDirRel: orphan.workDirRel,
              file: m.file,
              path: `${orphan.workDir}/${m.file}`,
              bytes: orphan.bytes ?? 0,
            };
      await this.appendSubmitted(taken, { channel: m.channel, relPath: m.relPath, source: m.source });
      this.#o.logger.info({ jobId: orphan.jobId, channel: m.channel }, 'orphaned work submitted');
      submitted++;
    }
    await this.discardFinishedWork(state);
    return submitted;
  }

  /**
   * Removes work folders of jobs that reached a final state: their worker removes them right after
   * the outcome is appended, so one is left only when the worker died in between. A folder that
   * still holds the original (originals: leave) is kept.
   */
  private async discardFinishedWork(state: ProjectionState): Promise<void> {
    const names = await readdir(join(this.#o.sharedDir, 'work')).catch(() => [] as string[]);
    for (const jobId of names) {
      const job = state.jobs.all.get(jobId);
      if (job === undefined && isArchived(state.jobs, jobId)) {
        await this.discardArchivedWork(jobId);
        continue;
      }
      if (job === undefined || !(['completed', 'failed', 'cancelled'] as const).includes(job.state as never))
        continue;
      if (
        job.original !== undefined &&
        isInside(fromDrivePath(this.#o.sharedDir, job.original), workDirOf(this.#o.sharedDir, jobId))
      )
        continue;
      await discardWork(this.#o.sharedDir, jobId);
      this.#o.logger.info({ jobId, state: job.state }, 'leftover work folder of a finished job removed');
    }
  }

  /**
   * A leftover folder of an archived job (finished, beyond the retention, its view gone): removed
   * unless it still holds the taken input, which only `originals: leave` keeps there.
   */
  private async discardArchivedWork(jobId: string): Promise<void> {
    const dir = workDirOf(this.#o.sharedDir, jobId);
    const file = await readFile(join(dir, manifestName), 'utf8')
      .then((t) => workManifestSchema.parse(JSON.parse(t)).file)
      .catch(() => undefined);
    if (file === undefined) return;
    if (
      await stat(join(dir, file)).then(
        () => true,
        () => false,
      )
    )
      return;
    await discardWork(this.#o.sharedDir, jobId);
    this.#o.logger.info({ jobId }, 'leftover work folder of an archived job removed');
  }

  /** Resolves when no take is under way. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}

/** True when `path` lies inside folder `dir` (both absolute). */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
