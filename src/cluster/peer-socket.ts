// What the peer mesh, `darkroom doctor` and the port probe share about a peer WebSocket: the
// largest message accepted, a frame's text, and an address as a URL host.
import { isIP } from 'node:net';
import type { RawData } from 'ws';

/** Largest message accepted: beats and wake-ups are tiny. */
export const PEER_MAX_PAYLOAD = 16 * 1024;

export function frameText(data: RawData): string {
  const buf = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(new Uint8Array(data));
  return buf.toString('utf8');
}

/** `addr` as the host part of a ws:// URL (IPv6 in brackets). */
export function urlHost(addr: string): string {
  return isIP(addr) === 6 ? `[${addr}]` : addr;
}
