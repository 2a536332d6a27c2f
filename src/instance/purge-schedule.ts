// Purging channels on their schedule (coordinator only): list the folder, let decidePurge pick
// the oldest files to delete, delete them, and record FilesPurged fenced by the coordinator term.
import { toDrivePath } from '../drive-path.js';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { DarkroomEvent } from '../events/event-types.js';
import { decidePurge, type ListedFile } from '../hotfolders/decide-purge.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { planOf, type PurgingPlan } from './channel-plan.js';

export interface PurgeScheduleOptions {
  readonly sharedDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly append: (events: readonly DarkroomEvent[]) => Promise<void>;
  readonly onFault: (err: unknown, where: string) => void;
}

/** Files under `dir`, recursive, hidden files skipped. */
export async function listFolder(dir: string): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, `${prefix}${e.name}/`);
      else if (e.isFile()) {
        const s = await stat(p).catch(() => undefined);
        if (s !== undefined) out.push({ relPath: `${prefix}${e.name}`, bytes: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  await walk(dir, '');
  return out;
}

export class PurgeSchedule {
  readonly #o: PurgeScheduleOptions;
  /** Channel -> monotonic time of its next run and the settings revision it was planned for. */
  readonly #next = new Map<string, { at: number; revision: number }>();
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(o: PurgeScheduleOptions) {
    this.#o = o;
  }

  /** Runs the purges that are due (called every beat); one run at a time. */
  reconcile(state: ProjectionState): void {
    if (this.#closed || this.#running !== undefined) return;
    const now = this.#o.clock.now();
    const due: PurgingPlan[] = [];
    const seen = new Set<string>();
    for (const view of state.config.channels.values()) {
      if (view.paused) continue;
      let plan;
      try {
        plan = planOf(view, this.#o.sharedDir, { pollHotfolders: false });
      } catch {
        continue; // reported by the watchers' reconcile
      }
      if (plan.type !== 'purging') continue;
      seen.add(plan.name);
      const next = this.#next.get(plan.name);
      if (next === undefined || next.revision !== plan.revision || next.at <= now) {
        // First sight or changed settings: run now; afterwards every scheduleMs.
        this.#next.set(plan.name, { at: now + plan.settings.scheduleMs, revision: plan.revision });
        due.push(plan);
      }
    }
    for (const name of this.#next.keys()) if (!seen.has(name)) this.#next.delete(name);
    if (due.length === 0) return;
    this.#running = this.#run(due).finally(() => (this.#running = undefined));
  }

  async #run(plans: readonly PurgingPlan[]): Promise<void> {
    for (const plan of plans) {
      if (this.#closed) return;
      try {
        await this.#purge(plan);
      } catch (err) {
        this.#o.onFault(err, `purge ${plan.name}`);
      }
    }
  }

  async #purge(plan: PurgingPlan): Promise<void> {
    let listing: ListedFile[];
    try {
      listing = await listFolder(plan.folder);
    } catch (err) {
      this.#o.logger.warn(
        { channel: plan.name, folder: plan.folder, err: String(err) },
        'purge folder unreadable',
      );
      return;
    }
    const doomed = decidePurge(listing, plan.settings.rules, this.#o.clock.wallTime().getTime());
    if (doomed.length === 0) return;
    const files: string[] = [];
    let bytes = 0;
    for (const f of doomed) {
      try {
        await unlink(join(plan.folder, f.relPath));
        files.push(f.relPath);
        bytes += f.bytes;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    if (files.length === 0) return;
    await this.#o.append([
      {
        type: 'FilesPurged',
        data: { channel: plan.name, folder: toDrivePath(this.#o.sharedDir, plan.folder), files, bytes },
      },
    ]);
    this.#o.logger.info({ channel: plan.name, files: files.length, bytes }, 'purged');
  }

  async stop(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}
