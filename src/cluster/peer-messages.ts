// The messages of the peer mesh on the cluster port, declared once with zod: every message read
// from a peer is validated here before anything looks at it, and carries the protocol version.
// The heartbeat (`Beat`) is also what an instance writes into its alive file on the drive
// (liveness.ts), so `darkroom cluster status` can read it without joining the mesh.
import { z } from 'zod';

/** Version of the peer protocol. A peer speaking another version is refused, naming both. */
export const PEER_PROTOCOL_VERSION = 1;

const name = z.string().min(1).max(63);
const hex = z.string().regex(/^[0-9a-f]{32,128}$/);
const count = z.number().int().nonnegative();

/** The name `darkroom doctor` proves with the secret (a server name cannot start with "~"). */
export const DOCTOR_NAME = '~doctor';
/** Probe files doctor asks peers to look for: relative to the shared drive, one folder. */
export const DOCTOR_PROBE = /^cluster\/doctor\/[A-Za-z0-9._-]{1,100}$/;

export const beatSchema = z
  .object({
    instanceId: name.describe('the instance id (conf server name)'),
    inc: count.describe('incarnation: seq of its InstanceStarted (0 while starting)'),
    status: z
      .enum(['starting', 'running', 'stopping', 'stopped'])
      .describe('the lifecycle state of the instance'),
    term: count.describe('the coordinator term in its projection'),
    coordinator: z.boolean().describe('true while it acts as coordinator of `term`'),
    seq: count.describe('last log seq it applied'),
    slots: count.describe('jobs it processes at once'),
    running: count.describe('jobs it is processing now'),
    load: z.number().min(0).describe('running / slots'),
    confHash: z.string().max(128).describe('SHA-256 of the ClaroServers.conf it started with'),
    storage: z
      .object({
        lastOkAgeMs: z.number().nonnegative().describe('ms since its last drive operation completed'),
        stalled: z.boolean().describe('true when that age exceeds the stall threshold (drive hangs)'),
      })
      .strict(),
    pid: count.describe('process id'),
    host: z.string().max(255).describe('host name it runs on'),
  })
  .strict();
export type Beat = z.infer<typeof beatSchema>;

export const peerMessageSchema = z.discriminatedUnion('t', [
  z.object({ v: z.number().int(), t: z.literal('challenge'), name, nonce: hex }).strict(),
  z.object({ v: z.number().int(), t: z.literal('hello'), name, mac: hex, nonce: hex }).strict(),
  z.object({ v: z.number().int(), t: z.literal('welcome'), mac: hex }).strict(),
  z.object({ v: z.number().int(), t: z.literal('beat'), beat: beatSchema }).strict(),
  z.object({ v: z.number().int(), t: z.literal('grew'), seq: count }).strict(),
  // `darkroom doctor --conf` between servers (doctor-peers.ts): it authenticates as DOCTOR_NAME
  // (not a valid server name) instead of `hello`, then asks; instances answer, nothing else.
  z.object({ v: z.number().int(), t: z.literal('doctor-hello'), mac: hex, nonce: hex }).strict(),
  z
    .object({
      v: z.number().int(),
      t: z.literal('doctor-ask'),
      id: count,
      /** A probe file to look for, relative to the shared drive (only under cluster/doctor/). */
      look: z.string().regex(DOCTOR_PROBE).optional(),
    })
    .strict(),
  z
    .object({
      v: z.number().int(),
      t: z.literal('doctor-answer'),
      id: count,
      /** The instance's wall clock when it answered (ms since the epoch). */
      wallMs: z.number(),
      confHash: z.string().max(128),
      /** Whether it sees the probe file through its own mount (absent: it was not asked to look). */
      seen: z.boolean().optional(),
    })
    .strict(),
]);
export type PeerMessage = z.infer<typeof peerMessageSchema>;

/** A message to send (the version is added by `encodePeerMessage`). */
export type OutgoingMessage = PeerMessage extends infer M
  ? M extends PeerMessage
    ? Omit<M, 'v'>
    : never
  : never;

export function encodePeerMessage(m: OutgoingMessage): string {
  return JSON.stringify({ v: PEER_PROTOCOL_VERSION, ...m });
}

export type Decoded =
  { readonly ok: true; readonly message: PeerMessage } | { readonly ok: false; readonly why: string };

/** Parses and validates one frame; `why` says what is wrong (for the refusal's log line). */
export function decodePeerMessage(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, why: 'a frame is not JSON' };
  }
  if (typeof raw === 'object' && raw !== null && 'v' in raw && raw.v !== PEER_PROTOCOL_VERSION) {
    return {
      ok: false,
      why: `it speaks peer protocol version ${JSON.stringify(raw.v)}, this instance ${PEER_PROTOCOL_VERSION}`,
    };
  }
  const parsed = peerMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      why: `a message is malformed (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
    };
  }
  return { ok: true, message: parsed.data };
}
