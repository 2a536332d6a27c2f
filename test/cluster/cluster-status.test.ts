// decideClusterStatus: the state of each server and the warnings naming the fix, from the log's
// cluster projection, two alive-file reads, peers' views and the port probe.
import { describe, expect, it } from 'vitest';
import {
  decideClusterStatus,
  type BeatFacts,
  type PeerFacts,
  type ServerObservation,
  type StatusInput,
} from '../../src/cluster/cluster-status.js';
import { given, type Scenario } from '../projections/scenario.js';

const HASH = 'a'.repeat(64);

function beat(s: Scenario, name: string, over: Partial<BeatFacts> = {}): BeatFacts {
  const view = s.state.cluster.instances.get(name)!;
  return {
    inc: view.inc,
    status: 'running',
    term: s.state.cluster.term,
    coordinator: s.state.cluster.coordinator?.instanceId === name,
    seq: s.state.meta.seq,
    slots: 2,
    running: 1,
    load: 0.5,
    confHash: HASH,
    storage: { lastOkAgeMs: 40, stalled: false },
    pid: 4242,
    host: 'localhost',
    ...over,
  };
}

function server(
  name: string,
  port: number,
  alive?: { beat: BeatFacts; peers: PeerFacts[] },
  over: Partial<ServerObservation> = {},
): ServerObservation {
  return {
    name,
    host: '127.0.0.1',
    clusterPort: port,
    httpPort: port + 1,
    ...(alive !== undefined ? { alive } : {}),
    aliveChanged: alive !== undefined,
    port: { reachable: true },
    ...over,
  };
}

const heard = (name: string, ageMs = 150): PeerFacts => ({ name, connected: true, heardAgoMs: ageMs });

function input(s: Scenario, servers: ServerObservation[]): StatusInput {
  return {
    observedFrom: 'observer',
    observedAt: '2026-12-07T15:00:00.000Z',
    confHash: HASH,
    failureTimeoutMs: 4000,
    cluster: s.state.cluster,
    seq: s.state.meta.seq,
    servers,
  };
}

function twoStarted(): Scenario {
  return given((s) => {
    const a = s.start('s1');
    s.start('s2');
    s.elect(a);
  });
}

describe('decideClusterStatus: a healthy cluster', () => {
  it('every server running, the coordinator and its term, heartbeat ages and lag; no warning', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2', 120)] }),
        server('s2', 9002, { beat: beat(s, 's2', { seq: s.state.meta.seq - 1 }), peers: [heard('s1', 80)] }),
      ]),
    );
    expect(st.healthy).toBe(true);
    expect(st.warnings).toEqual([]);
    expect(st.coordinator).toMatchObject({ instanceId: 's1', term: 1 });
    expect(st.instances.map((i) => [i.name, i.state, i.coordinator])).toEqual([
      ['s1', 'running', true],
      ['s2', 'running', false],
    ]);
    expect(st.instances[0]).toMatchObject({
      heartbeatAgeMs: 80,
      logLag: 0,
      slots: 2,
      load: 0.5,
      confHash: HASH,
    });
    expect(st.instances[1]).toMatchObject({
      heartbeatAgeMs: 120,
      logLag: 1,
      inc: s.state.cluster.instances.get('s2')!.inc,
    });
  });
});

describe('decideClusterStatus: warnings that name the fix', () => {
  it('a server of the conf that never started', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, {
          beat: beat(s, 's1'),
          peers: [heard('s2'), { name: 's4', connected: false, heardAgoMs: null }],
        }),
        server('s2', 9002, {
          beat: beat(s, 's2'),
          peers: [heard('s1'), { name: 's4', connected: false, heardAgoMs: null }],
        }),
        server('s4', 9006, undefined, { port: { reachable: false, reason: 'ECONNREFUSED' } }),
      ]),
    );
    expect(st.healthy).toBe(false);
    expect(st.instances[2]).toMatchObject({ name: 's4', state: 'never started', inc: null });
    expect(st.warnings).toEqual([
      expect.objectContaining({
        code: 'never-started',
        instance: 's4',
        message: expect.stringMatching(/^server s4 of the conf never started/),
      }),
    ]);
  });

  it('alive but unreachable on the cluster port from a peer: the firewall between them', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, {
          beat: beat(s, 's1'),
          peers: [{ name: 's2', connected: false, heardAgoMs: 9000 }],
        }),
        server('s2', 9002, {
          beat: beat(s, 's2'),
          peers: [{ name: 's1', connected: false, heardAgoMs: null }],
        }),
      ]),
    );
    expect(st.instances.map((i) => i.state)).toEqual(['unreachable', 'unreachable']);
    expect(st.warnings.map((w) => w.message)).toContain(
      's2 is alive in the log but unreachable on port 9002 from s1: check the firewall between them',
    );
    expect(st.warnings.map((w) => w.code)).toEqual(['unreachable-from-peer', 'unreachable-from-peer']);
  });

  it('a connection still open but silent past the failure timeout (packets dropped): the firewall between them', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        // s2 has heard nothing from s1 for 9 s although its connection looks open.
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2', 120)] }),
        server('s2', 9002, { beat: beat(s, 's2'), peers: [heard('s1', 9000)] }),
      ]),
    );
    expect(st.healthy).toBe(false);
    expect(st.instances.map((i) => i.state)).toEqual(['unreachable', 'running']);
    expect(st.warnings).toEqual([
      {
        code: 'unreachable-from-peer',
        instance: 's1',
        message:
          's1 is alive in the log but unreachable on port 9000 from s2 (no heartbeat for 9000 ms over an open connection): check the firewall between them',
      },
    ]);
    // Just under the timeout it is only a late beat: no warning.
    const late = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2', 120)] }),
        server('s2', 9002, { beat: beat(s, 's2'), peers: [heard('s1', 3999)] }),
      ]),
    );
    expect(late.warnings).toEqual([]);
  });

  it('unreachable from the observing server', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2')] }),
        server(
          's2',
          9002,
          { beat: beat(s, 's2'), peers: [heard('s1')] },
          { port: { reachable: false, reason: 'timed out after 2000 ms' } },
        ),
      ]),
    );
    expect(st.instances[1]?.state).toBe('unreachable');
    expect(st.warnings).toEqual([
      expect.objectContaining({
        code: 'unreachable-from-here',
        message: expect.stringContaining('unreachable on port 9002 from observer (timed out after 2000 ms)'),
      }),
    ]);
  });

  it('a conf that differs, with its hash', () => {
    const s = twoStarted();
    const other = 'b'.repeat(64);
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2')] }),
        server('s2', 9002, { beat: beat(s, 's2', { confHash: other }), peers: [heard('s1')] }),
      ]),
    );
    expect(st.warnings).toEqual([
      expect.objectContaining({
        code: 'conf-differs',
        instance: 's2',
        message: expect.stringMatching(/^s2's conf differs \(hash bbbbbbbbbbbb…/),
      }),
    ]);
  });

  it('heard on the port but its alive file stands still: storage stalled', () => {
    const s = twoStarted();
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2', 200)] }),
        server('s2', 9002, { beat: beat(s, 's2'), peers: [heard('s1')] }, { aliveChanged: false }),
      ]),
    );
    expect(st.instances[1]?.state).toBe('storage stalled');
    expect(st.warnings.map((w) => w.code)).toEqual(['storage-stalled']);
  });

  it('declared lost but still heard while its alive file stands still: storage stalled, not "start it again"', () => {
    const s = given((s) => {
      const a = s.start('s1');
      const b = s.start('s2');
      s.elect(a);
      s.write(a, { type: 'InstanceLost', data: { instanceId: 's2', inc: b.inc, reason: 'storage stalled' } });
    });
    const stalled = beat(s, 's2', { storage: { lastOkAgeMs: 13_000, stalled: true } });
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, { beat: beat(s, 's1'), peers: [heard('s2', 300)] }),
        server('s2', 9002, { beat: stalled, peers: [heard('s1')] }, { aliveChanged: false }),
      ]),
    );
    expect(st.instances[1]?.state).toBe('storage stalled');
    expect(st.warnings).toEqual([
      expect.objectContaining({
        code: 'storage-stalled',
        instance: 's2',
        message: expect.stringMatching(/declared lost .* rejoins by itself when the drive answers/),
      }),
    ]);
    // The same instance, no longer heard and its port silent: lost.
    const gone = decideClusterStatus(
      input(s, [
        server('s1', 9000, {
          beat: beat(s, 's1'),
          peers: [{ name: 's2', connected: false, heardAgoMs: 9000 }],
        }),
        server(
          's2',
          9002,
          { beat: stalled, peers: [] },
          { aliveChanged: false, port: { reachable: false, reason: 'ECONNREFUSED' } },
        ),
      ]),
    );
    expect(gone.instances[1]?.state).toBe('lost');
  });

  it('quiet everywhere: silent; declared lost: lost; neither is "unreachable"', () => {
    const s = given((s) => {
      const a = s.start('s1');
      const b = s.start('s2');
      s.start('s3');
      s.elect(a);
      s.write(a, { type: 'InstanceLost', data: { instanceId: 's2', inc: b.inc, reason: 'silent 4000 ms' } });
    });
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, {
          beat: beat(s, 's1'),
          peers: [
            { name: 's2', connected: false, heardAgoMs: 30_000 },
            { name: 's3', connected: false, heardAgoMs: 9_000 },
          ],
        }),
        server('s2', 9002, undefined, { port: { reachable: false, reason: 'ECONNREFUSED' } }),
        server(
          's3',
          9004,
          { beat: beat(s, 's3'), peers: [] },
          { aliveChanged: false, port: { reachable: false, reason: 'ECONNREFUSED' } },
        ),
      ]),
    );
    expect(st.instances.map((i) => i.state)).toEqual(['running', 'lost', 'silent']);
    expect(st.warnings.map((w) => [w.code, w.instance])).toEqual([
      ['lost', 's2'],
      ['silent', 's3'],
    ]);
  });

  it('no acting coordinator while instances run', () => {
    const s = given((s) => {
      s.start('s1');
    });
    const st = decideClusterStatus(input(s, [server('s1', 9000, { beat: beat(s, 's1'), peers: [] })]));
    expect(st.coordinator).toBeNull();
    expect(st.warnings.map((w) => w.code)).toEqual(['no-coordinator']);
  });

  it('an alive file of an earlier incarnation is no news: a stopped server stays stopped', () => {
    const s = given((s) => {
      const a = s.start('s1');
      s.elect(a);
      const b = s.start('s2');
      s.write(b, { type: 'InstanceStopped', data: { instanceId: 's2', inc: b.inc } });
    });
    const old = { ...beat(s, 's2'), inc: 1 };
    const st = decideClusterStatus(
      input(s, [
        server('s1', 9000, {
          beat: beat(s, 's1'),
          peers: [{ name: 's2', connected: false, heardAgoMs: 60_000 }],
        }),
        server(
          's2',
          9002,
          { beat: old, peers: [] },
          { aliveChanged: false, port: { reachable: false, reason: 'ECONNREFUSED' } },
        ),
      ]),
    );
    expect(st.instances[1]).toMatchObject({ state: 'stopped', running: null, logSeq: null });
    expect(st.healthy).toBe(true);
  });
});
