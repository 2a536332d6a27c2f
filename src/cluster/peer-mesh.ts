// The peer mesh on the cluster port (default 7900): every instance listens on its conf port and
// dials every other server of the conf; each connection is authenticated both ways with the
// cluster secret (peer-auth.ts) before anything else passes. Authenticated connections carry
// heartbeats (every heartbeatMs: incarnation, log seq, term, free slots, load) and "the log grew"
// wake-ups. A peer with a wrong secret, or a name not in the conf, is refused and the log line
// says why. Lost connections are dialled again with backoff.
//
// The heartbeat path does no disk I/O and does not use libuv's pool (which hung drive calls can
// fill): `beat()` reads in-memory state only, host names are resolved with c-ares
// (`dns.promises.resolve*`, not `dns.lookup`) or are numeric, random bytes are drawn
// synchronously, and compression (zlib, on the pool) is off. Messages are validated with zod
// and carry the protocol version (peer-messages.ts). ws stays behind this one door, with a
// small explicit maxPayload.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ServerEntry } from './conf.js';
import { peerProof, verifyPeerProof } from './peer-auth.js';
import {
  decodePeerMessage,
  DOCTOR_NAME,
  encodePeerMessage,
  type Beat,
  type OutgoingMessage,
  type PeerMessage,
} from './peer-messages.js';

import { hostsFile, resolveHost } from './peer-hosts.js';
import { frameText, PEER_MAX_PAYLOAD, urlHost } from './peer-socket.js';

export type { Beat } from './peer-messages.js';
// Kept importable from here (callers of the mesh's first version).
export { resolveHost } from './peer-hosts.js';
export { PEER_MAX_PAYLOAD } from './peer-socket.js';
export { probeClusterPort, type PortProbe } from './port-probe.js';

export interface PeerView {
  readonly name: string;
  /** Our connection to its port is authenticated. */
  readonly dialled: boolean;
  /** Its connection to our port is authenticated. */
  readonly accepted: boolean;
  /** clock.now() of its last heartbeat on any connection. */
  readonly lastBeatAt?: number;
  readonly beat?: Beat;
  /** Why the last connection with it was refused (wrong secret, unknown name...). */
  readonly refused?: string;
}

export interface PeerMeshOptions {
  /** This server (its name and cluster port). */
  readonly self: ServerEntry;
  /** Every server of the conf (self included or not). */
  readonly servers: readonly ServerEntry[];
  readonly secret: string;
  readonly heartbeatMs: number;
  /** The heartbeat's content, from memory (no disk I/O). */
  readonly beat: () => Beat;
  readonly onBeat?: (peer: string, beat: Beat) => void;
  /** A peer appended to the log up to `seq`: catch up now. */
  readonly onGrew?: (peer: string, seq: number) => void;
  /**
   * `darkroom doctor` asks whether this instance sees the probe file `relPath` (relative to the
   * shared drive) through its own mount. Absent: doctor sessions are refused.
   */
  readonly onDoctorLook?: (relPath: string) => Promise<boolean>;
  /** This instance's conf hash, told to `darkroom doctor`. */
  readonly confHash?: string;
  /** Interface to listen on (default: all). */
  readonly listenHost?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * An authenticated connection over which nothing has arrived for this long is closed (and a
   * dialled one dialled again with backoff): a peer that is SIGSTOPped or behind a cut cable
   * leaves a half-open TCP connection that would otherwise look connected for ever. Peers beat
   * every heartbeatMs on every connection, so silence is the sign. Default 4 × heartbeatMs; an
   * instance passes failureTimeoutMs.
   */
  readonly idleCloseMs?: number;
  /** Redial backoff (ms): doubles from min to max, with ±20 % jitter. */
  readonly redial?: { readonly minMs: number; readonly maxMs: number };
  readonly random?: (bytes: number) => Buffer;
}

export type MeshStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A connection that has not authenticated within this time is closed. */
const HANDSHAKE_MS = 5_000;
/** A `darkroom doctor` session is closed after this long. */
const DOCTOR_SESSION_MS = 60_000;

type Msg = PeerMessage;

interface PeerState {
  dialled?: WebSocket;
  accepted?: WebSocket;
  lastBeatAt?: number;
  beat?: Beat;
  refused?: string;
  malformed?: string;
  redialMs: number;
  redialTimer?: NodeJS.Timeout;
}

export class PeerMesh {
  readonly #o: PeerMeshOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: (n: number) => Buffer;
  readonly #peers = new Map<string, PeerState>();
  readonly #pending = new Set<WebSocket>();
  /** clock.now() of the last message on each authenticated connection. */
  readonly #lastIn = new WeakMap<WebSocket, number>();
  #server: WebSocketServer | undefined;
  #hosts: ReadonlyMap<string, string> = new Map();
  #beatTimer: NodeJS.Timeout | undefined;
  #status: MeshStatus = 'idle';
  #stopping: Promise<void> | undefined;

  constructor(o: PeerMeshOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger;
    this.#random = o.random ?? randomBytes;
    for (const s of o.servers) {
      if (s.name !== o.self.name) this.#peers.set(s.name, { redialMs: o.redial?.minMs ?? 100 });
    }
  }

  status(): MeshStatus {
    return this.#status;
  }

  /** The port actually listened on (the conf's, or the one the OS chose for port 0). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | undefined)?.port ?? this.#o.self.clusterPort;
  }

  /** Listens on the cluster port, then dials every other server. */
  async start(): Promise<void> {
    if (this.#status !== 'idle') throw new Error(`peer mesh is ${this.#status}`);
    this.#status = 'starting';
    const server = new WebSocketServer({
      port: this.#o.self.clusterPort,
      ...(this.#o.listenHost !== undefined ? { host: this.#o.listenHost } : {}),
      maxPayload: PEER_MAX_PAYLOAD,
      perMessageDeflate: false,
    });
    this.#server = server;
    this.#hosts = hostsFile();
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (err) => this.#log.error({ err }, 'cluster port error'));
    server.on('connection', (ws, req) => this.#accept(ws, req.socket.remoteAddress ?? '?'));
    this.#status = 'running';
    for (const name of this.#peers.keys()) this.#dial(name);
    this.#beatTimer = setInterval(() => this.#sendBeats(), this.#o.heartbeatMs);
    this.#log.info({ port: this.port, peers: [...this.#peers.keys()] }, 'peer mesh listening');
  }

  /** Every peer of the conf and what we know of it. */
  peers(): PeerView[] {
    return [...this.#peers].map(([name, p]) => ({
      name,
      dialled: p.dialled !== undefined,
      accepted: p.accepted !== undefined,
      ...(p.lastBeatAt !== undefined ? { lastBeatAt: p.lastBeatAt } : {}),
      ...(p.beat !== undefined ? { beat: p.beat } : {}),
      ...(p.refused !== undefined ? { refused: p.refused } : {}),
    }));
  }

  /** Tells every connected peer that the log grew up to `seq`. */
  announceGrew(seq: number): void {
    this.#broadcast({ t: 'grew', seq });
  }

  /** Closes the port and every connection; idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  async #doStop(): Promise<void> {
    this.#status = 'stopping';
    clearInterval(this.#beatTimer);
    const sockets = [...this.#pending];
    for (const p of this.#peers.values()) {
      clearTimeout(p.redialTimer);
      if (p.dialled) sockets.push(p.dialled);
      if (p.accepted) sockets.push(p.accepted);
    }
    for (const ws of sockets) ws.terminate();
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
    this.#status = 'stopped';
  }

  // --- dialling ------------------------------------------------------------------------

  #dial(name: string): void {
    if (this.#status !== 'running') return;
    const entry = this.#o.servers.find((s) => s.name === name)!;
    resolveHost(entry.host, this.#hosts).then(
      (addr) => this.#dialAt(name, entry, addr),
      (err: unknown) => {
        const p = this.#peers.get(name)!;
        p.refused = `${entry.host} does not resolve: ${(err as Error).message}`;
        this.#log.warn({ peer: name }, `cannot dial ${name}: ${p.refused}`);
        this.#scheduleRedial(name);
      },
    );
  }

  #dialAt(name: string, entry: ServerEntry, addr: string): void {
    if (this.#status !== 'running') return;
    const ws = new WebSocket(`ws://${urlHost(addr)}:${entry.clusterPort}/`, {
      maxPayload: PEER_MAX_PAYLOAD,
      handshakeTimeout: HANDSHAKE_MS,
      perMessageDeflate: false,
    });
    this.#pending.add(ws);
    const nonce = this.#random(16).toString('hex');
    let authed = false;
    const timer = setTimeout(() => ws.terminate(), HANDSHAKE_MS);
    ws.on('message', (data) => {
      const d = decodePeerMessage(frameText(data));
      if (!d.ok) {
        if (!authed) this.#refuse(name, ws, d.why);
        else this.#malformed(name, d.why);
        return;
      }
      const m = d.message;
      if (!authed && m.t === 'challenge') {
        if (m.name !== name) {
          this.#refuse(
            name,
            ws,
            `dialled ${name} at ${entry.host}:${entry.clusterPort} but ${m.name} answered`,
          );
          return;
        }
        const mac = peerProof(this.#o.secret, m.nonce, this.#o.self.name, 'dialer');
        send(ws, { t: 'hello', name: this.#o.self.name, mac, nonce });
      } else if (!authed && m.t === 'welcome') {
        if (!verifyPeerProof(this.#o.secret, nonce, name, 'acceptor', m.mac)) {
          this.#refuse(name, ws, `${name} does not know the cluster secret (its proof is wrong)`);
          return;
        }
        authed = true;
        clearTimeout(timer);
        this.#pending.delete(ws);
        this.#connected(name, ws, 'dialled');
      } else if (authed) this.#received(name, m);
    });
    ws.on('error', () => undefined); // 'close' follows; a refused dial is the usual case while a peer is down
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      this.#pending.delete(ws);
      const p = this.#peers.get(name)!;
      if (p.dialled === ws) {
        p.dialled = undefined;
        this.#log.warn({ peer: name, code }, `connection to ${name} closed`);
      }
      if (code === 4003 && reason.length > 0) p.refused = reason.toString();
      this.#scheduleRedial(name);
    });
  }

  #scheduleRedial(name: string): void {
    const p = this.#peers.get(name)!;
    if (this.#status !== 'running' || p.redialTimer !== undefined) return;
    const jitter = 0.8 + (this.#random(1)[0]! / 255) * 0.4;
    p.redialTimer = setTimeout(() => {
      p.redialTimer = undefined;
      this.#dial(name);
    }, p.redialMs * jitter);
    p.redialMs = Math.min(p.redialMs * 2, this.#o.redial?.maxMs ?? 5_000);
  }

  // --- accepting -----------------------------------------------------------------------

  #accept(ws: WebSocket, from: string): void {
    if (this.#status !== 'running') {
      ws.terminate();
      return;
    }
    this.#pending.add(ws);
    const nonce = this.#random(16).toString('hex');
    let peer: string | undefined;
    let doctor = false;
    const timer = setTimeout(() => ws.terminate(), HANDSHAKE_MS);
    send(ws, { t: 'challenge', name: this.#o.self.name, nonce });
    ws.on('message', (data) => {
      const d = decodePeerMessage(frameText(data));
      if (!d.ok) {
        if (peer === undefined) this.#refuseIncoming(ws, from, d.why);
        else this.#malformed(peer, d.why);
        return;
      }
      const m = d.message;
      if (doctor) return this.#doctorAsk(ws, m);
      if (peer === undefined && m.t === 'doctor-hello') {
        if (this.#o.onDoctorLook === undefined)
          return this.#refuseIncoming(ws, from, 'this instance does not answer darkroom doctor');
        if (!verifyPeerProof(this.#o.secret, nonce, DOCTOR_NAME, 'dialer', m.mac))
          return this.#refuseIncoming(ws, from, 'darkroom doctor does not know the cluster secret');
        doctor = true;
        clearTimeout(timer);
        // A doctor session is short: closed after a minute whatever it does.
        setTimeout(() => ws.terminate(), DOCTOR_SESSION_MS).unref();
        send(ws, { t: 'welcome', mac: peerProof(this.#o.secret, m.nonce, this.#o.self.name, 'acceptor') });
        return;
      }
      if (peer === undefined) {
        if (m.t !== 'hello') return this.#refuseIncoming(ws, from, 'did not introduce itself');
        if (!this.#peers.has(m.name))
          return this.#refuseIncoming(
            ws,
            from,
            `${JSON.stringify(m.name)} is not a server of this cluster's conf`,
          );
        if (!verifyPeerProof(this.#o.secret, nonce, m.name, 'dialer', m.mac))
          return this.#refuseIncoming(
            ws,
            from,
            `${m.name} does not know the cluster secret (its proof is wrong)`,
            m.name,
          );
        peer = m.name;
        clearTimeout(timer);
        this.#pending.delete(ws);
        const mac = peerProof(this.#o.secret, m.nonce, this.#o.self.name, 'acceptor');
        send(ws, { t: 'welcome', mac });
        this.#connected(peer, ws, 'accepted');
      } else this.#received(peer, m);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clearTimeout(timer);
      this.#pending.delete(ws);
      const p = peer === undefined ? undefined : this.#peers.get(peer);
      if (p?.accepted === ws) p.accepted = undefined;
    });
  }

  #refuseIncoming(ws: WebSocket, from: string, why: string, name?: string): void {
    this.#log.warn({ from, peer: name }, `peer connection from ${from} refused: ${why}`);
    if (name !== undefined) {
      const p = this.#peers.get(name);
      if (p !== undefined) p.refused = why;
    }
    ws.close(4003, why.slice(0, 120));
  }

  #refuse(name: string, ws: WebSocket, why: string): void {
    this.#log.warn({ peer: name }, `peer ${name} refused: ${why}`);
    this.#peers.get(name)!.refused = why;
    ws.close(4003, why.slice(0, 120));
  }

  // --- authenticated traffic -----------------------------------------------------------

  #connected(name: string, ws: WebSocket, side: 'dialled' | 'accepted'): void {
    const p = this.#peers.get(name)!;
    const old = p[side];
    p[side] = ws;
    old?.terminate();
    this.#lastIn.set(ws, this.#clock.now());
    ws.on('message', () => this.#lastIn.set(ws, this.#clock.now()));
    p.refused = undefined;
    p.redialMs = this.#o.redial?.minMs ?? 100;
    this.#log.info({ peer: name, side }, `connected with ${name} (${side})`);
    this.#sendBeat(ws);
  }

  #received(name: string, m: Msg): void {
    const p = this.#peers.get(name)!;
    if (m.t === 'beat') {
      if (m.beat.instanceId !== name) {
        this.#malformed(name, `its heartbeat names ${m.beat.instanceId}`);
        return;
      }
      p.lastBeatAt = this.#clock.now();
      p.beat = m.beat;
      this.#o.onBeat?.(name, m.beat);
    } else if (m.t === 'grew') {
      this.#o.onGrew?.(name, m.seq);
    }
  }

  /** A question of `darkroom doctor` on its authenticated session: answered, anything else ignored. */
  #doctorAsk(ws: WebSocket, m: Msg): void {
    if (m.t !== 'doctor-ask') return;
    const answer = (seen?: boolean): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      send(ws, {
        t: 'doctor-answer',
        id: m.id,
        wallMs: this.#clock.wallTime().getTime(),
        confHash: this.#o.confHash ?? '',
        ...(seen !== undefined ? { seen } : {}),
      });
    };
    if (m.look === undefined) return answer();
    this.#o.onDoctorLook!(m.look).then(answer, () => answer(false));
  }

  /** An authenticated peer sent something invalid: logged once per kind of problem, then ignored. */
  #malformed(name: string, why: string): void {
    const p = this.#peers.get(name)!;
    if (p.malformed === why) return;
    p.malformed = why;
    this.#log.warn({ peer: name }, `ignoring a message from ${name}: ${why}`);
  }

  #sendBeat(ws: WebSocket): void {
    if (ws.readyState === WebSocket.OPEN) send(ws, { t: 'beat', beat: this.#o.beat() });
  }

  #sendBeats(): void {
    const msg = encodePeerMessage({ t: 'beat', beat: this.#o.beat() });
    const idleMs = this.#o.idleCloseMs ?? 4 * this.#o.heartbeatMs;
    const now = this.#clock.now();
    for (const [name, p] of this.#peers) {
      for (const ws of [p.dialled, p.accepted]) {
        if (ws === undefined) continue;
        const quiet = now - (this.#lastIn.get(ws) ?? now);
        if (quiet >= idleMs) {
          // 'close' follows: the dialled side dials again with backoff, the peer's own dial
          // (or ours) replaces the accepted one; one connection per side at a time.
          this.#log.warn(
            { peer: name, quietMs: Math.round(quiet) },
            `closing the connection with ${name}: nothing heard over it for ${Math.round(quiet)} ms (paused, or the network between us is cut)`,
          );
          ws.terminate();
        } else if (ws.readyState === WebSocket.OPEN) ws.send(msg);
      }
    }
  }

  #broadcast(m: OutgoingMessage): void {
    const text = encodePeerMessage(m);
    for (const p of this.#peers.values()) {
      for (const ws of [p.dialled, p.accepted]) if (ws?.readyState === WebSocket.OPEN) ws.send(text);
    }
  }
}

function send(ws: WebSocket, m: OutgoingMessage): void {
  ws.send(encodePeerMessage(m));
}
