// Session handoff between instances reached under different host names (docs/web-ui.md,
// Failover): a short-lived token, signed with a key derived from the session key, that only
// POST /api/session accepts, in exchange for a session cookie on that instance. It is no session
// itself (another key, another shape), so a leaked handoff token is worth one login within its
// lifetime and nothing as a credential on any other route.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a handoff token may be exchanged (the UI fetches a new one every 30 s). */
export const HANDOFF_TTL_MS = 120_000;

export interface Handoff {
  readonly user: string;
  /** The token's own expiry (ms since the epoch, wall clock). */
  readonly expiresAtMs: number;
  /** The expiry of the session it continues: the new cookie ends when the old one would have. */
  readonly sessionExpiresAtMs: number;
  /** The password stamp of that session (a changed password ends handoffs too). */
  readonly pw: string;
}

function handoffKey(sessionKey: Buffer): Buffer {
  return createHmac('sha256', sessionKey).update('darkroom session handoff v1').digest();
}

/** `h1.<payload>.<mac>`, base64url. */
export function signHandoff(sessionKey: Buffer, h: Handoff): string {
  const payload = Buffer.from(JSON.stringify([h.user, h.expiresAtMs, h.sessionExpiresAtMs, h.pw])).toString(
    'base64url',
  );
  const mac = createHmac('sha256', handoffKey(sessionKey)).update(payload).digest('base64url');
  return `h1.${payload}.${mac}`;
}

/** The handoff of `token`, or undefined when it is forged, malformed or expired. */
export function readHandoff(sessionKey: Buffer, token: string, nowMs: number): Handoff | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'h1' || token.length > 1024) return undefined;
  const payload = parts[1]!;
  const mac = Buffer.from(parts[2]!, 'base64url');
  const want = createHmac('sha256', handoffKey(sessionKey)).update(payload).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
    const [user, expiresAtMs, sessionExpiresAtMs, pw] = parsed as unknown[];
    if (
      typeof user !== 'string' ||
      typeof expiresAtMs !== 'number' ||
      typeof sessionExpiresAtMs !== 'number' ||
      typeof pw !== 'string'
    )
      return undefined;
    if (expiresAtMs <= nowMs || sessionExpiresAtMs <= nowMs) return undefined;
    return { user, expiresAtMs, sessionExpiresAtMs, pw };
  } catch {
    return undefined;
  }
}
