// Host names of the conf's servers to numeric addresses without libuv's thread pool (which hung
// drive calls can fill, so a stalled drive must not stall the mesh): numeric as they are,
// /etc/hosts (read once), then DNS through c-ares (`dns.promises.resolve4/resolve6`), never
// `dns.lookup`.
import { promises as dns } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Names from /etc/hosts, read once when the mesh starts (c-ares does not read it). */
export function hostsFile(): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (addr === undefined || isIP(addr) === 0) continue;
    for (const n of names) if (!out.has(n.toLowerCase())) out.set(n.toLowerCase(), addr);
  }
  return out;
}

/**
 * A numeric address for `host` without libuv's pool: numeric as is, /etc/hosts (read at start),
 * then DNS through c-ares (A, then AAAA). Throws when the name does not resolve.
 */
export async function resolveHost(host: string, hosts: ReadonlyMap<string, string>): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare;
  const known =
    hosts.get(bare.toLowerCase()) ?? (bare.toLowerCase() === 'localhost' ? '127.0.0.1' : undefined);
  if (known !== undefined) return known;
  try {
    const [a] = await dns.resolve4(bare);
    if (a !== undefined) return a;
  } catch {
    // try AAAA
  }
  const [aaaa] = await dns.resolve6(bare);
  if (aaaa === undefined) throw new Error(`${host} has no address`);
  return aaaa;
}
