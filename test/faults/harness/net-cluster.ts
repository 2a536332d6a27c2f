// A fault cluster whose instances each run in a network namespace of their own (netns.ts), plus
// an observer namespace for the CLI (`cluster status` as another server sees it). Used by the
// partition tests; `close()` always stops every instance, unmounts every view and deletes every
// namespace, whatever happened before.
import { readFile } from 'node:fs/promises';
import { readLog } from './log-peek.js';
import { FaultCluster } from './fault-cluster.js';
import { NetnsLan } from './netns.js';
import type { LogRecord } from '../../../src/events/log-record.js';

export const OBSERVER = 'obs';

export interface NetCluster {
  readonly cluster: FaultCluster;
  readonly lan: NetnsLan;
  /** Cluster port of each instance (from the conf). */
  readonly clusterPort: ReadonlyMap<string, number>;
  close(keep?: boolean): Promise<void>;
}

export async function netCluster(
  instances: number,
  log: (line: string) => void,
  conf?: Readonly<Record<string, string>>,
): Promise<NetCluster> {
  const ids = Array.from({ length: instances }, (_, i) => `s${i + 1}`);
  const lan = NetnsLan.create([...ids, OBSERVER]);
  let cluster: FaultCluster | undefined;
  try {
    if (!lan.exists()) throw new Error('the namespaces just made are not listed by ip netns list');
    cluster = await FaultCluster.create({
      instances,
      log,
      ...(conf !== undefined ? { conf } : {}),
      hostOf: (id) => lan.member(id).addr,
      execVia: (id) => lan.exec(id),
    });
    const text = await readFile(cluster.confFile, 'utf8');
    const clusterPort = new Map<string, number>();
    for (const m of text.matchAll(/^server = (\w+)@[\d.]+:(\d+):(\d+)$/gm))
      clusterPort.set(m[1]!, Number(m[2]));
    const c = cluster;
    return {
      cluster: c,
      lan,
      clusterPort,
      close: async (keep = false) => {
        try {
          await c.teardown(keep);
        } finally {
          lan.teardown();
        }
      },
    };
  } catch (err) {
    await cluster?.teardown().catch(() => undefined);
    lan.teardown();
    throw err;
  }
}

/** Every `CoordinatorElected` in the real log (term, instance, seq). */
export async function elections(
  shared: string,
): Promise<{ term: number; instanceId: string; seq: number }[]> {
  const { records } = await readLog(shared);
  return records
    .filter((r): r is Extract<LogRecord, { type: 'CoordinatorElected' }> => r.type === 'CoordinatorElected')
    .map((r) => ({ term: r.data.term, instanceId: r.data.instanceId, seq: r.seq }));
}

/** Waits for `cond` (polled every 250 ms) until `timeoutMs`; throws `what` and the last detail. */
export async function until(
  what: string,
  cond: () => Promise<string | true>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await cond();
    if (r === true) return;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${r})`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

/**
 * Why the instances `ids` are not all settled yet, or true: each one's last incarnation is started
 * in the log and was not declared lost or stopped since. (Under heavy load a freshly started
 * instance may be declared lost before its first alive file shows; it rejoins by itself.)
 */
export async function settled(shared: string, ids: readonly string[]): Promise<string | true> {
  const { records } = await readLog(shared);
  const last = new Map<string, number>();
  const ended = new Set<string>();
  for (const r of records) {
    if (r.type === 'InstanceStarted') last.set(r.data.instanceId, r.seq);
    if (r.type === 'InstanceLost' || r.type === 'InstanceStopped')
      ended.add(`${r.data.instanceId}/${r.data.inc}`);
  }
  const notYet = ids.filter((id) => last.get(id) === undefined || ended.has(`${id}/${last.get(id)}`));
  return notYet.length === 0 ? true : `not settled: ${notYet.join(', ')}`;
}

/** The InstanceLost events in the real log. */
export async function losses(shared: string): Promise<{ instanceId: string; inc: number; seq: number }[]> {
  const { records } = await readLog(shared);
  return records
    .filter((r): r is Extract<LogRecord, { type: 'InstanceLost' }> => r.type === 'InstanceLost')
    .map((r) => ({ instanceId: r.data.instanceId, inc: r.data.inc, seq: r.seq }));
}
