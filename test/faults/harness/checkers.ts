// Checkers over the recorded history and the final state of a fault run (DESIGN.md Invariants):
// each returns the violations it found, named by invariant, with what it saw.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { batchName } from '../../../src/events/batch-file.js';
import type { LogRecord } from '../../../src/events/log-record.js';
import { readSnapshotFile } from '../../../src/events/snapshot-store.js';
import { darkroomProjector } from '../../../src/projections/projector.js';
import { listFiles } from '../../fixtures/instance-drive.js';
import { foldedLog, LogInvariants } from '../../support/log-invariants.js';
import type { FaultCluster } from './fault-cluster.js';
import { readLog } from './log-peek.js';

export interface Violation {
  readonly invariant: string;
  readonly detail: string;
}

/** A fault as the schedule carried it out. */
export interface FaultRecord {
  readonly kind: string;
  readonly target: string;
  readonly at: number;
  /** Instances whose running jobs the fault may make run again (kill, pause, stall: 1; all: N). */
  readonly affects: number;
}

export interface CheckInput {
  readonly cluster: FaultCluster;
  readonly faults: readonly FaultRecord[];
  readonly channel: string;
  /** Why the cluster did not quiesce after healing, if it did not. */
  readonly unquiet: string | undefined;
  readonly slots: number;
}

export interface CheckReport {
  readonly violations: Violation[];
  readonly records: number;
  readonly jobs: number;
  readonly duplicateAttempts: number;
  readonly repairs: number;
  readonly ignored: number;
}

export async function checkRun(input: CheckInput): Promise<CheckReport> {
  const { cluster } = input;
  const v: Violation[] = [];
  const add = (invariant: string, detail: string): void => {
    v.push({ invariant, detail });
  };
  const { records, damage } = await readLog(cluster.real);
  if (damage !== undefined) add('log well formed', `reading stops at seq ${records.length + 1}: ${damage}`);
  const log = foldedLog(records);

  // Invariant 3: contiguous, the chain verifies, repairs only at the tail and recorded.
  const verify = await cluster.verifyLog();
  if (verify.code !== 0)
    add(
      'log well formed',
      `darkroom log verify exit ${verify.code}: ${(verify.err || verify.out).trim().slice(-800)}`,
    );
  const repairs = records.filter((r) => r.type === 'BatchRepaired');
  for (const r of repairs) {
    if (r.type !== 'BatchRepaired') continue;
    if (r.data.file !== batchName(r.seq))
      add(
        'repairs only at the tail',
        `seq ${r.seq} repaired ${r.data.file}, not the batch at its own seq (${batchName(r.seq)})`,
      );
  }
  const torn = await readdir(join(cluster.real, 'log', 'torn')).catch(() => [] as string[]);
  if (torn.length !== repairs.length)
    add(
      'repairs recorded',
      `${torn.length} files moved aside in log/torn, ${repairs.length} BatchRepaired events`,
    );

  // Invariant 4 and the replay fences: one coordinator per term, terms grow, nothing stale applied.
  const inv = new LogInvariants();
  inv.follow(log);
  for (const m of inv.violations) add('log invariants', m);

  // Invariant 2 (the part visible from outside): every snapshot equals a fresh replay at its seq.
  for (const m of await checkSnapshots(cluster.real, records)) add('snapshot equals replay', m);

  // Invariant 1: every acknowledged drop has exactly one outcome, in exactly one place.
  const dropMsgs = await checkDrops(input, records, log.tip.jobs.all.size);
  for (const m of dropMsgs) add('exactly one outcome per file', m);

  // Invariant 5: no acknowledged configuration change lost.
  for (const m of checkEdits(input, records)) add('no configuration change lost', m);

  // Duplicate processing: counted, and bounded by the faults that could cause it.
  const startedPerJob = new Map<string, number>();
  for (const r of records) {
    if (r.type === 'JobStarted' && log.applied(r.seq))
      startedPerJob.set(r.data.jobId, (startedPerJob.get(r.data.jobId) ?? 0) + 1);
  }
  let duplicateAttempts = 0;
  for (const n of startedPerJob.values()) duplicateAttempts += n - 1;
  // Each affected instance can have at most `slots` jobs cut short by one fault.
  const causes = input.faults.reduce((n, f) => n + f.affects, 0);
  const bound = causes * input.slots;
  if (duplicateAttempts > bound)
    add(
      'duplicate attempts bounded',
      `${duplicateAttempts} repeated attempts, but faults on ${causes} instances could cause at most ${bound}`,
    );

  // After healing: every job final, one coordinator holds the current term.
  if (input.unquiet !== undefined) add('quiescence after healing', input.unquiet);
  const c = log.tip.cluster.coordinator;
  const view = c === undefined ? undefined : log.tip.cluster.instances.get(c.instanceId);
  if (c === undefined || view?.inc !== c.inc || view.status !== 'started')
    add(
      'one coordinator after healing',
      `coordinator ${c?.instanceId}/${c?.inc} of term ${c?.term} is ${view?.status ?? 'unknown'} (inc ${view?.inc})`,
    );
  else if (cluster.proc(c.instanceId) === undefined)
    add('one coordinator after healing', `coordinator ${c.instanceId} has no running process`);

  // No instance died unless killed.
  for (const life of cluster.lives) {
    if (life.exit !== undefined && life.expectDeath === undefined)
      add(
        'no instance died unless killed',
        `${life.id} pid ${life.pid} exited (code ${life.exit.code}, signal ${life.exit.signal}):\n${cluster.outputTail(life.id, 1500)}`,
      );
  }

  return {
    violations: v,
    records: records.length,
    jobs: log.tip.jobs.all.size,
    duplicateAttempts,
    repairs: repairs.length,
    ignored: inv.counts.ignored,
  };
}

async function checkSnapshots(shared: string, records: readonly LogRecord[]): Promise<string[]> {
  const out: string[] = [];
  const names = (await readdir(join(shared, 'snapshots')).catch(() => [] as string[])).filter((n) =>
    n.endsWith('.json'),
  );
  for (const name of names) {
    let json: unknown;
    try {
      // Header and digest checked (snapshot-store.ts); the state is the body's.
      json = (await readSnapshotFile(shared, name)).state;
    } catch (err) {
      out.push(`${name}: unreadable (${String(err)})`);
      continue;
    }
    let state;
    try {
      state = darkroomProjector.fromSnapshot(json);
    } catch (err) {
      out.push(`${name}: does not decode (${String(err)})`);
      continue;
    }
    const seq = darkroomProjector.provenance(state).seq;
    const replay = foldedLog(records.slice(0, seq)).tip;
    const a = JSON.stringify(darkroomProjector.toSnapshot(state));
    const b = JSON.stringify(darkroomProjector.toSnapshot(replay));
    if (a !== b) out.push(`${name}: differs from a fresh replay at seq ${seq}`);
  }
  return out;
}

async function checkDrops(
  input: CheckInput,
  records: readonly LogRecord[],
  _jobs: number,
): Promise<string[]> {
  const { cluster, channel } = input;
  const out: string[] = [];
  const log = foldedLog(records);
  const jobsByName = new Map<string, string[]>();
  const outcome = new Map<string, LogRecord[]>();
  for (const r of records) {
    if (!log.applied(r.seq)) continue;
    if (r.type === 'JobSubmitted')
      jobsByName.set(r.data.relPath, [...(jobsByName.get(r.data.relPath) ?? []), r.data.jobId]);
    if (r.type === 'JobCompleted' || r.type === 'JobFailed')
      outcome.set(r.data.jobId, [...(outcome.get(r.data.jobId) ?? []), r]);
  }
  const hot = join(cluster.real, 'hotfolders', channel);
  const outFiles = new Set(await listFiles(join(hot, 'out')));
  const badFiles = new Set(await listFiles(join(hot, 'bad')));
  const inFiles = await listFiles(join(hot, 'in'));
  const expectedOut = new Set<string>();
  const expectedBad = new Set<string>();
  for (const op of cluster.history.ops) {
    if (op.kind !== 'drop' || op.result !== 'ok') continue;
    const name = String(op.data['name']);
    const jobs = jobsByName.get(name) ?? [];
    if (jobs.length !== 1) {
      out.push(`${name}: ${jobs.length} jobs (${jobs.join(', ')})`);
      continue;
    }
    const ends = outcome.get(jobs[0]!) ?? [];
    if (ends.length !== 1) {
      out.push(`${name} (${jobs[0]}): ${ends.length} outcomes`);
      continue;
    }
    const end = ends[0]!;
    if (end.type === 'JobCompleted') {
      expectedOut.add(name);
      if (!outFiles.has(name)) out.push(`${name}: completed, but out/${name} is missing`);
      if (op.data['kind'] === 'bad') out.push(`${name}: a broken image completed`);
    } else if (end.type === 'JobFailed') {
      expectedBad.add(name);
      if (!badFiles.has(name) || !badFiles.has(`${name}.error.txt`))
        out.push(`${name}: failed (${end.data.code}), but bad/ lacks it or its error report`);
      if (op.data['kind'] === 'good')
        out.push(`${name}: a good image failed: ${end.data.code} ${end.data.message}`);
    }
  }
  for (const f of outFiles)
    if (!expectedOut.has(f))
      out.push(`out/${f}: not the one output of a dropped file (a second output or a leftover)`);
  for (const f of badFiles) {
    const base = f.endsWith('.error.txt') ? f.slice(0, -'.error.txt'.length) : f;
    if (!expectedBad.has(base)) out.push(`bad/${f}: not the outcome of a failed file`);
  }
  if (inFiles.length > 0)
    out.push(`in/ still holds ${inFiles.length} files (${inFiles.slice(0, 3).join(', ')})`);
  const work = await listFiles(join(cluster.real, 'work'));
  if (work.length > 0)
    out.push(`work/ still holds ${work.length} files (${work.slice(0, 3).join(', ')}): orphans not resolved`);
  return out;
}

function checkEdits(input: CheckInput, records: readonly LogRecord[]): string[] {
  const out: string[] = [];
  const log = foldedLog(records);
  const edits = input.cluster.history.ops.filter((o) => o.kind === 'edit');
  const byChannel = new Map<string, typeof edits>();
  for (const e of edits)
    byChannel.set(String(e.data['channel']), [...(byChannel.get(String(e.data['channel'])) ?? []), e]);
  for (const [channel, ops] of byChannel) {
    const written = new Set<number>();
    for (const r of records) {
      if (r.type === 'ChannelUpdated' && r.data.channel === channel && log.applied(r.seq)) {
        const p = (r.data.settings as { priority?: unknown }).priority;
        if (typeof p === 'number') written.add(p);
      }
    }
    for (const op of ops) {
      const value = Number(op.data['value']);
      if (op.result === 'ok' && !written.has(value))
        out.push(`${channel}: acknowledged priority ${value} is not in the log`);
      if (op.result === 'fail' && written.has(value))
        out.push(`${channel}: refused priority ${value} is in the log`);
    }
    // The edits ran one after another: the final value is the last acknowledged one, or a later
    // edit whose outcome is unknown.
    const lastOk = ops
      .map((o, i) => ({ o, i }))
      .filter(({ o }) => o.result === 'ok')
      .at(-1);
    if (lastOk === undefined) continue;
    const allowed = new Set([
      Number(lastOk.o.data['value']),
      ...ops
        .slice(lastOk.i + 1)
        .filter((o) => o.result === 'unknown')
        .map((o) => Number(o.data['value'])),
    ]);
    const final = log.tip.config.channels.get(channel)?.settings['priority'];
    if (typeof final !== 'number' || !allowed.has(final))
      out.push(`${channel}: final priority ${String(final)}, expected one of ${[...allowed].join(', ')}`);
  }
  return out;
}
