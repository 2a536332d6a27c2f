// Peer authentication on the cluster port: challenge-response with the cluster secret, both
// ways. The acceptor sends a nonce; the dialer answers with its name, an HMAC over the nonce and
// its own nonce; the acceptor answers that nonce with its HMAC. The secret never travels, a
// recorded answer is useless for another nonce, and the role is in the MAC so an answer cannot
// be reflected back. Pure functions; the transport is peer-mesh.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type PeerRole = 'dialer' | 'acceptor';

/** HMAC-SHA256 (hex) binding the secret to this nonce, this name and this role. */
export function peerProof(secret: string, nonce: string, name: string, role: PeerRole): string {
  return createHmac('sha256', secret).update(`darkroom-peer\n${role}\n${name}\n${nonce}`).digest('hex');
}

/** True when `mac` is the proof of `name` in `role` for `nonce` (constant-time comparison). */
export function verifyPeerProof(
  secret: string,
  nonce: string,
  name: string,
  role: PeerRole,
  mac: unknown,
): boolean {
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  const want = Buffer.from(peerProof(secret, nonce, name, role), 'hex');
  return timingSafeEqual(want, Buffer.from(mac, 'hex'));
}
