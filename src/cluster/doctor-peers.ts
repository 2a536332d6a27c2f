// `darkroom doctor --conf FILE` between servers: with the conf's instances running, it asks each
// of them over its cluster port (a short doctor session authenticated with the cluster secret,
// peer-mesh.ts) for its wall clock, its conf hash, and whether it sees a probe file made here
// through its own mount of the share. From that: how long a new file takes to become visible to
// each peer (the mount's lookup cache), each peer's clock offset (a warning only), whether its
// conf is this one, whether its cluster port answers from here, and — from the instances' alive
// files — whether they reach each other's ports. Each finding says what to change.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WebSocket, type RawData } from 'ws';
import type { CheckStatus, DriveCheck } from '../events/drive-doctor.js';
import { readAliveFiles } from './alive-file.js';
import type { ClusterConf, ServerEntry } from './conf.js';
import { peerProof, verifyPeerProof } from './peer-auth.js';
import { PEER_MAX_PAYLOAD, resolveHost } from './peer-mesh.js';
import {
  decodePeerMessage,
  DOCTOR_NAME,
  DOCTOR_PROBE,
  encodePeerMessage,
  type PeerMessage,
} from './peer-messages.js';

/** A clock this far off (ms) gets a warning. */
export const CLOCK_WARN_MS = 1000;
/** A new file visible on a peer later than this (ms) gets a warning. */
export const VISIBLE_WARN_MS = 1000;

type Answer = Extract<PeerMessage, { t: 'doctor-answer' }>;

/** An authenticated doctor session with one instance. */
export interface DoctorSession {
  ask(look?: string): Promise<Answer>;
  close(): void;
}

function text(data: RawData): string {
  const buf = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(new Uint8Array(data));
  return buf.toString('utf8');
}

/** Opens a doctor session with `entry`'s instance, or says why not. */
export async function openDoctorSession(
  entry: ServerEntry,
  secret: string,
  timeoutMs: number,
): Promise<DoctorSession | { readonly refused: string }> {
  let addr: string;
  try {
    addr = await resolveHost(entry.host, new Map());
  } catch (err) {
    return { refused: `${entry.host} does not resolve: ${(err as Error).message}` };
  }
  const url = `ws://${addr.includes(':') ? `[${addr}]` : addr}:${entry.clusterPort}/`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      maxPayload: PEER_MAX_PAYLOAD,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    const nonce = randomBytes(16).toString('hex');
    const pending = new Map<number, (a: Answer) => void>();
    let nextId = 1;
    let settled = false;
    const done = (r: DoctorSession | { refused: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('refused' in r) ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done({ refused: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const session: DoctorSession = {
      ask: async (look) =>
        new Promise<Answer>((res, rej) => {
          const id = nextId++;
          const t = setTimeout(() => {
            pending.delete(id);
            rej(new Error(`${entry.name} did not answer within ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, (a) => {
            clearTimeout(t);
            res(a);
          });
          ws.send(encodePeerMessage({ t: 'doctor-ask', id, ...(look !== undefined ? { look } : {}) }));
        }),
      close: () => ws.terminate(),
    };
    ws.on('message', (data) => {
      const d = decodePeerMessage(text(data));
      if (!d.ok) return done({ refused: `it answered, but ${d.why}` });
      const m = d.message;
      if (m.t === 'challenge') {
        if (m.name !== entry.name) return done({ refused: `${m.name} answered there, not ${entry.name}` });
        ws.send(
          encodePeerMessage({
            t: 'doctor-hello',
            mac: peerProof(secret, m.nonce, DOCTOR_NAME, 'dialer'),
            nonce,
          }),
        );
      } else if (m.t === 'welcome') {
        if (!verifyPeerProof(secret, nonce, entry.name, 'acceptor', m.mac))
          return done({ refused: `${entry.name} does not know the cluster secret (its proof is wrong)` });
        done(session);
      } else if (m.t === 'doctor-answer') {
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      }
    });
    ws.on('error', (err: NodeJS.ErrnoException) => done({ refused: err.code ?? err.message }));
    ws.on('close', (code, reason) =>
      done({
        refused: reason.length > 0 ? reason.toString() : `closed (${code}) before the doctor session began`,
      }),
    );
  });
}

/** Whether the probe file `relPath` exists under `sharedDir` (for the instance's mesh). */
export async function lookForProbe(sharedDir: string, relPath: string): Promise<boolean> {
  if (!DOCTOR_PROBE.test(relPath)) return false;
  try {
    await stat(join(sharedDir, relPath));
    return true;
  } catch {
    return false;
  }
}

export interface PeerDoctorOptions {
  readonly conf: ClusterConf;
  /** This server's mount of the share (the conf's `shared`, or `--shared`). */
  readonly sharedDir: string;
  /** How long a peer may take to see the probe file before it counts as not the same share. */
  readonly visibleTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Time between two looks of a peer for the probe file (ms). */
  readonly pollMs?: number;
}

const sleep = async (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function check(
  name: string,
  status: CheckStatus,
  detail: string,
  figures?: Record<string, number>,
): DriveCheck {
  return figures === undefined ? { name, status, detail } : { name, status, detail, figures };
}

/** The checks between servers; every instance of the conf that answers is asked. */
export async function checkPeers(o: PeerDoctorOptions): Promise<DriveCheck[]> {
  const { conf } = o;
  const out: DriveCheck[] = [];
  const timeout = o.connectTimeoutMs ?? 3000;
  const alive = await readAliveFiles(o.sharedDir);
  const sessions = new Map<string, DoctorSession>();
  await Promise.all(
    conf.servers.map(async (s) => {
      const r = await openDoctorSession(s, conf.secret, timeout);
      const where = `${s.host}:${s.clusterPort}`;
      if ('refused' in r) {
        const runs = alive.get(s.name)?.beat.status === 'running';
        out.push(
          check(
            `port of ${s.name}`,
            runs ? 'warn' : 'skipped',
            runs
              ? `${s.name} runs (its alive file says so) but its cluster port ${where} does not answer from ${hostname()} (${r.refused}): open TCP ${s.clusterPort} on ${s.host} to this server`
              : `${s.name} does not answer on ${where} (${r.refused}) and is not running: start it to check it`,
          ),
        );
      } else {
        sessions.set(s.name, r);
        out.push(check(`port of ${s.name}`, 'ok', `${s.name} answers on ${where} and knows the secret`));
      }
    }),
  );
  try {
    for (const [name, session] of sessions) {
      // Clock offset: three round trips, the one with the shortest round trip counts.
      let best: { rtt: number; offset: number } | undefined;
      let confHash = '';
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const p0 = performance.now();
        const a = await session.ask();
        const rtt = performance.now() - p0;
        confHash = a.confHash;
        const offset = a.wallMs - (t0 + rtt / 2);
        if (best === undefined || rtt < best.rtt) best = { rtt, offset };
      }
      const off = Math.round(best!.offset);
      const figures = { offsetMs: off, rttMs: Math.round(best!.rtt) };
      out.push(
        Math.abs(off) > CLOCK_WARN_MS
          ? check(
              `clock of ${name}`,
              'warn',
              `${name}'s clock is ${off > 0 ? '+' : ''}${off} ms from this server's: run NTP (chrony or systemd-timesyncd) on both; darkroom's timeouts use monotonic clocks, but log times, job times and purge ages use the wall clock`,
              figures,
            )
          : check(
              `clock of ${name}`,
              'ok',
              `${name}'s clock is within ${Math.abs(off)} ms of this server's`,
              figures,
            ),
      );
      out.push(
        confHash === conf.hash
          ? check(`conf of ${name}`, 'ok', `${name} runs with this conf`)
          : check(
              `conf of ${name}`,
              'fail',
              `${name} runs with another conf (hash ${confHash.slice(0, 12)}…, this file ${conf.hash.slice(0, 12)}…): copy the same ClaroServers.conf to every server and restart ${name}`,
            ),
      );
    }
    out.push(...(await visibility(o, sessions)));
  } finally {
    for (const s of sessions.values()) s.close();
  }
  out.push(meshLinks(conf, alive));
  return out;
}

/** How long a file made here takes to show on each peer's mount (after it looked for it first). */
async function visibility(
  o: PeerDoctorOptions,
  sessions: ReadonlyMap<string, DoctorSession>,
): Promise<DriveCheck[]> {
  if (sessions.size === 0) return [];
  const rel = `cluster/doctor/${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}.probe`;
  const file = join(o.sharedDir, rel);
  const limit = o.visibleTimeoutMs ?? 30_000;
  const pollMs = o.pollMs ?? 100;
  const out: DriveCheck[] = [];
  await mkdir(join(o.sharedDir, 'cluster', 'doctor'), { recursive: true });
  try {
    // Each peer looks for the name first, as a hotfolder scan or a log reader would have: a mount
    // that caches "no such file" shows the cost here.
    await Promise.all([...sessions.values()].map(async (s) => s.ask(rel).catch(() => undefined)));
    await writeFile(file, `made by darkroom doctor on ${hostname()}\n`, { flag: 'wx' });
    const madeAt = performance.now();
    await Promise.all(
      [...sessions].map(async ([name, s]) => {
        for (;;) {
          const a = await s.ask(rel).catch(() => undefined);
          const ms = Math.round(performance.now() - madeAt);
          if (a?.seen === true) {
            out.push(
              ms <= VISIBLE_WARN_MS
                ? check(`visible on ${name}`, 'ok', `a file made here showed on ${name} after ${ms} ms`, {
                    visibleMs: ms,
                  })
                : check(
                    `visible on ${name}`,
                    'warn',
                    `a file made here showed on ${name} only after ${ms} ms: its mount caches lookups; NFS: mount with lookupcache=positive,actimeo=1 (or noac); SMB/CIFS: actimeo=1 (cache=strict); until then every hand-over between servers (a new log batch, a dropped file) waits that long`,
                    { visibleMs: ms },
                  ),
            );
            return;
          }
          if (ms > limit) {
            out.push(
              check(
                `visible on ${name}`,
                'fail',
                `${name} did not see a file made here within ${limit} ms: it is not the same share, or its mount caches without limit; check ${name}'s mount (NFS: not "nocto", lookupcache=positive; SMB: actimeo=1)`,
              ),
            );
            return;
          }
          await sleep(pollMs);
        }
      }),
    );
  } finally {
    await rm(file, { force: true });
  }
  return out;
}

/** What the instances' alive files say of their connections with each other. */
function meshLinks(conf: ClusterConf, alive: Awaited<ReturnType<typeof readAliveFiles>>): DriveCheck {
  const cut: string[] = [];
  let pairs = 0;
  for (const [from, f] of alive) {
    if (f.beat.status !== 'running') continue;
    for (const p of f.peers) {
      const to = conf.servers.find((s) => s.name === p.name);
      if (to === undefined || alive.get(p.name)?.beat.status !== 'running') continue;
      pairs++;
      const silent = p.heardAgoMs !== null && p.heardAgoMs >= conf.failureTimeoutMs;
      if (!p.connected || silent)
        cut.push(
          `${from} does not reach ${p.name} (${to.host}:${to.clusterPort})${p.refused !== undefined ? `: ${p.refused}` : ''}`,
        );
    }
  }
  if (pairs === 0)
    return check('mesh', 'skipped', 'fewer than two instances run: start them to check their links');
  return cut.length === 0
    ? check('mesh', 'ok', `every running instance hears every other on its cluster port (${pairs} links)`)
    : check('mesh', 'warn', `${cut.join('; ')}: open the cluster ports between these servers (both ways)`);
}
