// The mesh notices a paused peer, with real processes: b is SIGSTOPped (its TCP connections stay
// open; the kernel even accepts new ones into its backlog), so only silence tells. a closes both
// connections with b once nothing has come over them for the failure timeout, keeps dialling
// without piling up connections, and after SIGCONT the two are connected again: exactly one
// established connection each way (by the kernel's socket table), heartbeats flowing.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readAliveFile } from '../../../src/cluster/alive-file.js';
import { waitFor } from '../../fixtures/instance-drive.js';
import { clusterConf, makeCluster, running, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

const ssProblem =
  spawnSync('ss', ['-V']).status === 0 ? undefined : 'ss (iproute2) is missing: cannot read the socket table';
if (ssProblem !== undefined) console.log(`paused-peer test skipped: ${ssProblem}`);

/**
 * TCP connections to `port` (the dialler's side: its destination is `port`): established ones,
 * and live ones (established or still connecting; a closed one lingers in FIN-WAIT or TIME-WAIT).
 */
function connectionsTo(port: number): { established: number; live: number; all: string[] } {
  const r = spawnSync('ss', ['-Htan', `( dport = :${port} )`], { encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const established = lines.filter((l) => l.startsWith('ESTAB')).length;
  return {
    established,
    live: established + lines.filter((l) => l.startsWith('SYN-SENT')).length,
    all: lines,
  };
}

/** a's log lines saying it closed a silent connection with b, with the silence they name. */
function closedForSilence(output: string): number[] {
  const out: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes('closing the connection with b: nothing heard')) continue;
    out.push((JSON.parse(line) as { quietMs: number }).quietMs);
  }
  return out;
}

function connectedLines(output: string, after: number): string[] {
  return output
    .slice(after)
    .split('\n')
    .filter((l) => l.includes('"msg":"connected with b'));
}

describe('a SIGSTOPped peer on the mesh', () => {
  it.skipIf(ssProblem !== undefined)(
    'closes its connections after the failure timeout of silence, redials without doubling, reconnects once each way after SIGCONT',
    async () => {
      const failureTimeoutMs = Number(clusterConf['failureTimeoutMs']);
      const c = (cluster = await makeCluster(['a', 'b']));
      const portA = c.ports.get('a')!;
      const portB = c.ports.get('b')!;
      for (const id of c.ids) await running(c.start(id), `${id} running`);
      const a = c.proc('a');
      const b = c.proc('b');
      const sockets = (): string =>
        `to a: ${connectionsTo(portA).all.join('; ')}\nto b: ${connectionsTo(portB).all.join('; ')}\n${a.output().slice(-3000)}`;
      await waitFor(
        'one connection each way',
        () => connectionsTo(portA).established === 1 && connectionsTo(portB).established === 1,
        60_000,
        sockets,
      );

      b.signal('SIGSTOP');
      const stoppedAt = performance.now();
      // Both of a's connections with b (the one it dialled, the one b dialled) fall silent.
      const quiet = await waitFor(
        'a closes both silent connections with b',
        () => {
          const q = closedForSilence(a.output());
          return q.length >= 2 ? q : undefined;
        },
        60_000,
        sockets,
      );
      for (const ms of quiet) expect(ms).toBeGreaterThanOrEqual(failureTimeoutMs);
      expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(failureTimeoutMs);
      // While b is paused a keeps dialling it (the kernel accepts into b's backlog, the handshake
      // never answers): one attempt at a time, never a pile of them, and none authenticates.
      const closedAt = a.output().length;
      const samples: number[] = [];
      await waitFor(
        'a few of a dial attempts to paused b',
        () => {
          samples.push(connectionsTo(portB).live);
          return samples.length >= 20;
        },
        60_000,
      );
      expect(
        Math.max(...samples),
        `connections from a to paused b: ${samples.join(',')}`,
      ).toBeLessThanOrEqual(1);
      expect(connectedLines(a.output(), closedAt)).toEqual([]);

      b.signal('SIGCONT');
      const resumedAt = a.output().length;
      await waitFor(
        'a connected with b again, both ways',
        () => {
          const l = connectedLines(a.output(), resumedAt);
          return l.some((x) => x.includes('(dialled)')) && l.some((x) => x.includes('(accepted)'));
        },
        60_000,
        sockets,
      );
      // From now on exactly one established connection each way, sampled while b's heartbeats
      // reach a again for a while (its alive file names b connected and recently heard).
      const counts: string[] = [];
      await waitFor(
        'a hears b over the mesh again, 8 samples',
        async () => {
          const toA = connectionsTo(portA).established;
          const toB = connectionsTo(portB).established;
          counts.push(`${toA}/${toB}`);
          const alive = await readAliveFile(c.drive.shared, 'a');
          const peer = alive?.peers.find((p) => p.name === 'b');
          return (
            counts.length >= 8 &&
            peer?.connected === true &&
            (peer.heardAgoMs ?? Infinity) < failureTimeoutMs / 2
          );
        },
        60_000,
        sockets,
      );
      // A connection being replaced may show for a moment beside its successor; never a second one for good.
      expect(counts.filter((x) => x !== '1/1').length, counts.join(' ')).toBeLessThanOrEqual(1);
      expect(counts.at(-1)).toBe('1/1');

      for (const id of c.ids) c.proc(id).signal('SIGTERM');
      for (const id of c.ids) expect(await c.proc(id).exited, c.proc(id).output().slice(-2000)).toBe(0);
    },
  );
});
