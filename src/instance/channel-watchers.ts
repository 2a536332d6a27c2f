// The coordinator's hotfolder watchers: one HotfolderWatcher per active process/routing channel,
// restarted when the channel's watch settings change, stopped when it is paused or deleted, plus
// one for the generic ticket folder (created when missing); each ready file goes to ingest.
// Reachability per channel feeds the standby events.
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { ClusterConf } from '../cluster/conf.js';
import { HotfolderWatcher, type ReadyFile } from '../hotfolders/hotfolder-watcher.js';
import { drivePathsIn } from '../drive-path.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { planOf, ticketFolderPlan, type ChannelPlan, type WatchedPlan } from './channel-plan.js';

export interface ChannelWatchersOptions {
  readonly sharedDir: string;
  readonly conf: ClusterConf;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onReady: (plan: WatchedPlan, file: ReadyFile) => Promise<unknown>;
  readonly onFault: (err: unknown, where: string) => void;
}

interface Watched {
  readonly key: string;
  readonly plan: WatchedPlan;
  readonly watcher: HotfolderWatcher;
}

/** What makes a watcher different: a change of any of these restarts it. */
function watchKey(p: WatchedPlan): string {
  return JSON.stringify([
    p.input,
    p.recursive,
    p.fileReadyDelayMs,
    p.skipPattern ?? '',
    p.excludeDirs,
    p.usePolling,
  ]);
}

export class ChannelWatchers {
  readonly #o: ChannelWatchersOptions;
  readonly #watched = new Map<string, Watched>();
  readonly #stopping = new Set<Promise<void>>();
  #closed = false;

  constructor(o: ChannelWatchersOptions) {
    this.#o = o;
  }

  /** Starts, restarts or stops watchers to match the projection's channels. */
  reconcile(state: ProjectionState): void {
    if (this.#closed) return;
    const wanted = new Map<string, WatchedPlan>();
    const tickets = ticketFolderPlan(this.#o.sharedDir, this.#o.conf);
    wanted.set(tickets.name, tickets);
    for (const view of state.config.channels.values()) {
      if (view.paused) continue;
      let plan: ChannelPlan;
      try {
        plan = planOf(view, this.#o.sharedDir, this.#o.conf);
      } catch (err) {
        this.#o.onFault(err, `channel ${view.name} settings`);
        continue;
      }
      if (plan.type !== 'purging') wanted.set(view.name, plan);
    }
    for (const [name, w] of this.#watched) {
      const plan = wanted.get(name);
      if (plan === undefined || watchKey(plan) !== w.key) {
        this.#watched.delete(name);
        this.#stopWatcher(w);
      } else if (plan.revision !== w.plan.revision) {
        // Same folder and timings: keep watching, use the new settings for what it submits.
        this.#watched.set(name, { ...w, plan });
      }
    }
    for (const [name, plan] of wanted) {
      if (!this.#watched.has(name)) this.#startWatcher(plan);
    }
  }

  #startWatcher(plan: WatchedPlan): void {
    const watcher = new HotfolderWatcher({
      dir: plan.input,
      fileReadyDelayMs: plan.fileReadyDelayMs,
      recursive: plan.recursive,
      usePolling: plan.usePolling,
      pollIntervalMs: this.#o.conf.pollIntervalMs,
      rescanMs: this.#o.conf.hotfolderRescanMs,
      ...(plan.skipPattern !== undefined ? { skipPattern: plan.skipPattern } : {}),
      excludeDirs: plan.excludeDirs,
      clock: this.#o.clock,
      logger: this.#o.logger.child({ channel: plan.name }),
      onReady: async (file) => {
        const current = this.#watched.get(plan.name);
        if (current === undefined || current.watcher !== watcher) return;
        try {
          await this.#o.onReady(current.plan, file);
        } catch (err) {
          // The file stays where it was (or its work folder is recovered as an orphan): retried later.
          this.#o.onFault(err, `ingest ${plan.name}/${file.relPath}`);
          watcher.retry(file.relPath);
        }
      },
    });
    this.#watched.set(plan.name, { key: watchKey(plan), plan, watcher });
    this.#o.logger.info({ channel: plan.name, input: plan.input }, 'watching hotfolder');
    const ready = plan.type === 'tickets' ? mkdir(plan.input, { recursive: true }) : Promise.resolve();
    ready
      .catch((err: unknown) => this.#o.onFault(err, `create ${plan.input}`))
      .then(async () => watcher.start())
      .catch((err: unknown) => this.#o.onFault(err, `watch ${plan.name}`));
  }

  #stopWatcher(w: Watched): void {
    const p = w.watcher
      .stop()
      .catch((err: unknown) => this.#o.onFault(err, `stop watching ${w.plan.name}`))
      .finally(() => this.#stopping.delete(p));
    this.#stopping.add(p);
  }

  /** Channel name -> why its input folder is unreachable (undefined: reachable), by drive paths. */
  reachability(): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const [name, w] of this.#watched) {
      const s = w.watcher.status();
      if (s.state === 'unreachable')
        out.set(
          name,
          drivePathsIn(this.#o.sharedDir, `input folder ${s.dir}: ${s.code ?? ''} ${s.reason ?? ''}`.trim()),
        );
      else if (s.state === 'running') out.set(name, undefined);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#closed = true;
    for (const w of this.#watched.values()) this.#stopWatcher(w);
    this.#watched.clear();
    await Promise.all([...this.#stopping]);
  }
}
