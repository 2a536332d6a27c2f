// The peer mesh on real loopback ports: instances authenticate both ways with the cluster secret,
// exchange heartbeats and "the log grew" wake-ups, refuse a wrong secret or a name not in the conf
// (saying why), and dial a restarted peer again.
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEntry } from '../../src/cluster/conf.js';
import { PeerMesh, resolveHost, type Beat } from '../../src/cluster/peer-mesh.js';
import { decodePeerMessage, PEER_PROTOCOL_VERSION } from '../../src/cluster/peer-messages.js';
import { WebSocket } from 'ws';
import { peerProof, verifyPeerProof } from '../../src/cluster/peer-auth.js';

const meshes: PeerMesh[] = [];
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((m) => m.stop()));
});

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function entries(names: string[], ports: number[]): ServerEntry[] {
  return names.map((name, i) => ({
    name,
    host: '127.0.0.1',
    clusterPort: ports[i]!,
    httpPort: 0,
    line: i + 1,
  }));
}

interface Node {
  readonly mesh: PeerMesh;
  readonly beats: { peer: string; beat: Beat }[];
  readonly grew: { peer: string; seq: number }[];
  readonly logs: string[];
  seq: number;
}

function beatOf(instanceId: string, seq: number): Beat {
  return {
    instanceId,
    inc: 3,
    status: 'running',
    term: 1,
    coordinator: false,
    seq,
    slots: 2,
    running: 1,
    load: 0.5,
    confHash: 'c'.repeat(64),
    storage: { lastOkAgeMs: 12, stalled: false },
    pid: 42,
    host: 'press',
  };
}

function node(self: ServerEntry, servers: ServerEntry[], secret = 's3cret'): Node {
  const n: Node = { mesh: undefined as unknown as PeerMesh, beats: [], grew: [], logs: [], seq: 7 };
  const mesh = new PeerMesh({
    self,
    servers,
    secret,
    heartbeatMs: 50,
    listenHost: '127.0.0.1',
    redial: { minMs: 20, maxMs: 200 },
    logger: pino({ level: 'info' }, { write: (l: string) => n.logs.push(l) }),
    beat: () => beatOf(self.name, n.seq),
    onBeat: (peer, beat) => n.beats.push({ peer, beat }),
    onGrew: (peer, seq) => n.grew.push({ peer, seq }),
  });
  (n as { mesh: PeerMesh }).mesh = mesh;
  meshes.push(mesh);
  return n;
}

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('peer mesh', () => {
  it('proofs bind the secret, the nonce, the name and the role', () => {
    const mac = peerProof('s', 'n1', 'press1', 'dialer');
    expect(verifyPeerProof('s', 'n1', 'press1', 'dialer', mac)).toBe(true);
    expect(verifyPeerProof('t', 'n1', 'press1', 'dialer', mac)).toBe(false);
    expect(verifyPeerProof('s', 'n2', 'press1', 'dialer', mac)).toBe(false);
    expect(verifyPeerProof('s', 'n1', 'press2', 'dialer', mac)).toBe(false);
    expect(verifyPeerProof('s', 'n1', 'press1', 'acceptor', mac)).toBe(false);
    expect(verifyPeerProof('s', 'n1', 'press1', 'dialer', 'zz')).toBe(false);
  });

  it('three instances connect both ways and exchange heartbeats and wake-ups', async () => {
    const servers = entries(['a', 'b', 'c'], await freePorts(3));
    const [a, b, c] = servers.map((s) => node(s, servers));
    await Promise.all([a!, b!, c!].map((n) => n.mesh.start()));
    for (const n of [a!, b!, c!]) {
      await until('connected both ways', () => n.mesh.peers().every((p) => p.dialled && p.accepted));
      await until('beats from both peers', () => new Set(n.beats.map((x) => x.peer)).size === 2);
    }
    b!.seq = 99;
    await until('a sees b at seq 99', () => a!.mesh.peers().find((p) => p.name === 'b')?.beat?.seq === 99);
    expect(a!.mesh.peers().find((p) => p.name === 'b')?.beat).toEqual(beatOf('b', 99));
    a!.mesh.announceGrew(42);
    await until('b and c told', () => b!.grew.length > 0 && c!.grew.length > 0);
    // Told on both connections, at most twice each.
    expect(b!.grew.every((g) => g.peer === 'a' && g.seq === 42)).toBe(true);
    expect(b!.grew.length).toBeLessThanOrEqual(2);
  });

  it('refuses a peer with a wrong secret, both ways, and says why', async () => {
    const servers = entries(['a', 'd'], await freePorts(2));
    const a = node(servers[0]!, servers, 'right');
    const d = node(servers[1]!, servers, 'wrong');
    await a.mesh.start();
    await d.mesh.start();
    await until('a refused d', () => a.logs.some((l) => l.includes('d does not know the cluster secret')));
    await until('d refused a', () => d.logs.some((l) => l.includes('a does not know the cluster secret')));
    expect(a.mesh.peers()[0]).toMatchObject({ name: 'd', dialled: false, accepted: false });
    expect(a.mesh.peers()[0]?.refused).toMatch(/does not know the cluster secret/);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.beats).toEqual([]);
    expect(d.beats).toEqual([]);
  });

  it('refuses a server that is not in the conf', async () => {
    const ports = await freePorts(2);
    const [a, x] = entries(['a', 'x'], ports);
    const na = node(a!, [a!]); // a's conf lists only itself
    const nx = node(x!, [a!, x!]);
    await na.mesh.start();
    await nx.mesh.start();
    await until('a refused x', () => na.logs.some((l) => l.includes('x\\" is not a server of this cluster')));
    expect(na.beats).toEqual([]);
    await until('x told why', () => nx.mesh.peers()[0]?.refused !== undefined);
    expect(nx.mesh.peers()[0]?.refused).toMatch(/not a server of this cluster's conf/);
  });

  it('dials a peer again after it restarts; stop is idempotent', async () => {
    const servers = entries(['a', 'b'], await freePorts(2));
    const a = node(servers[0]!, servers);
    const b1 = node(servers[1]!, servers);
    await a.mesh.start();
    await b1.mesh.start();
    await until('connected', () => a.mesh.peers()[0]!.dialled);
    const stopping = b1.mesh.stop();
    expect(b1.mesh.stop()).toBe(stopping);
    await stopping;
    expect(b1.mesh.status()).toBe('stopped');
    await until('a lost b', () => !a.mesh.peers()[0]!.dialled && !a.mesh.peers()[0]!.accepted);
    const b2 = node(servers[1]!, servers);
    b2.seq = 1234;
    await b2.mesh.start();
    await until('a dialled b again', () => a.mesh.peers()[0]!.dialled, 5_000);
    await until('beats from the new b', () => a.beats.some((x) => x.beat.seq === 1234));
  });
});

describe('peer mesh: a peer that goes silent (SIGSTOP, a cut cable: a half-open connection)', () => {
  it('closes a connection over which nothing arrives for idleCloseMs, and dials again: one connection at a time', async () => {
    const servers = entries(['a', 'b'], await freePorts(2));
    const [ea, eb] = [servers[0]!, servers[1]!];
    // b is a fake acceptor that authenticates a's dial, then says nothing more (a paused process).
    const { WebSocketServer } = await import('ws');
    const fake = new WebSocketServer({ port: eb.clusterPort, host: '127.0.0.1' });
    let open = 0;
    let most = 0;
    let accepted = 0;
    fake.on('connection', (ws) => {
      accepted++;
      open++;
      most = Math.max(most, open);
      ws.on('close', () => open--);
      const nonce = 'ab'.repeat(16);
      ws.send(JSON.stringify({ v: PEER_PROTOCOL_VERSION, t: 'challenge', name: 'b', nonce }));
      ws.on('message', (data: Buffer) => {
        const d = decodePeerMessage(data.toString());
        if (
          d.ok &&
          d.message.t === 'hello' &&
          verifyPeerProof('s3cret', nonce, 'a', 'dialer', d.message.mac)
        ) {
          const mac = peerProof('s3cret', d.message.nonce, 'b', 'acceptor');
          ws.send(JSON.stringify({ v: PEER_PROTOCOL_VERSION, t: 'welcome', mac }));
        }
      });
    });
    try {
      const logs: string[] = [];
      const mesh = new PeerMesh({
        self: ea,
        servers,
        secret: 's3cret',
        heartbeatMs: 50,
        idleCloseMs: 300,
        listenHost: '127.0.0.1',
        redial: { minMs: 20, maxMs: 200 },
        logger: pino({ level: 'info' }, { write: (l: string) => logs.push(l) }),
        beat: () => beatOf('a', 1),
      });
      meshes.push(mesh);
      await mesh.start();
      await until('a connected with b', () => mesh.peers()[0]?.dialled === true);
      await until('a closed the silent connection', () =>
        logs.some((l) => l.includes('closing the connection with b: nothing heard over it')),
      );
      await until('a dialled b again', () => accepted >= 2 && mesh.peers()[0]?.dialled === true);
      expect(most, 'never two connections from a to b at once').toBe(1);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it('keeps a connection over which heartbeats keep coming', async () => {
    const servers = entries(['a', 'b'], await freePorts(2));
    const a = node(servers[0]!, servers);
    const b = node(servers[1]!, servers);
    await a.mesh.start();
    await b.mesh.start();
    await until(
      'connected both ways',
      () =>
        a.mesh.peers().every((p) => p.dialled && p.accepted) &&
        b.mesh.peers().every((p) => p.dialled && p.accepted),
    );
    // 20 heartbeats (4 × heartbeatMs is the idle limit here): still the same connections.
    const from = a.beats.length;
    await until('20 more beats', () => a.beats.length >= from + 20);
    expect(a.logs.concat(b.logs).filter((l) => l.includes('closing the connection'))).toEqual([]);
  });
});

describe('peer messages', () => {
  it('are validated, and carry the protocol version', () => {
    expect(decodePeerMessage('{"v":1,"t":"grew","seq":5}')).toEqual({
      ok: true,
      message: { v: PEER_PROTOCOL_VERSION, t: 'grew', seq: 5 },
    });
    expect(decodePeerMessage('{"v":2,"t":"grew","seq":5}')).toMatchObject({
      ok: false,
      why: expect.stringMatching(/peer protocol version 2, this instance 1/),
    });
    expect(decodePeerMessage('{"v":1,"t":"grew","seq":-1}')).toMatchObject({ ok: false, why: /malformed/ });
    expect(decodePeerMessage('{"v":1,"t":"beat","beat":{"instanceId":"a"}}')).toMatchObject({ ok: false });
    expect(decodePeerMessage('not json')).toMatchObject({ ok: false, why: 'a frame is not JSON' });
  });

  it('a peer speaking another protocol version is refused with a log line saying so', async () => {
    const servers = entries(['a', 'b'], await freePorts(2));
    const a = node(servers[0]!, [servers[0]!, servers[1]!]);
    await a.mesh.start();
    const ws = new WebSocket(`ws://127.0.0.1:${servers[0]!.clusterPort}/`);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', () => {
      ws.send(JSON.stringify({ v: 9, t: 'hello', name: 'b', mac: 'a'.repeat(64), nonce: 'b'.repeat(32) }));
    });
    expect(await closed).toBe(4003);
    await until('a logged why', () => a.logs.some((l) => l.includes('peer protocol version 9')));
    expect(a.beats).toEqual([]);
  });

  it('host names resolve without the libuv pool: numeric as is, localhost, /etc/hosts', async () => {
    expect(await resolveHost('127.0.0.1', new Map())).toBe('127.0.0.1');
    expect(await resolveHost('[::1]', new Map())).toBe('::1');
    expect(await resolveHost('localhost', new Map())).toBe('127.0.0.1');
    expect(await resolveHost('press7', new Map([['press7', '10.1.2.3']]))).toBe('10.1.2.3');
  });
});
