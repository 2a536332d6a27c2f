// Credentials: scrypt password hashes, API tokens (drk_<id>_<secret>, stored as the SHA-256 of
// the secret) and signed session cookies. Nothing here is written anywhere in clear.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, keylen: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, keylen, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url); runs on the libuv pool (~50 ms). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** True when `password` matches `stored` (a hashPassword result); false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length < 16) return false;
  const key = await scryptAsync(password, salt, N, r, p, expected.length);
  return timingSafeEqual(key, expected);
}

export interface NewToken {
  readonly tokenId: string;
  /** The whole token, shown once: `drk_<tokenId>_<secret>`. */
  readonly token: string;
  /** SHA-256 hex of the secret part (what the log keeps). */
  readonly hash: string;
}

export function newToken(): NewToken {
  const tokenId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { tokenId, token: `drk_${tokenId}_${secret}`, hash: sha256(secret) };
}

/** The id and secret hash of a presented token, or undefined when it is not shaped like one. */
export function parseToken(token: string): { tokenId: string; hash: string } | undefined {
  const m = /^drk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (m === null) return undefined;
  return { tokenId: m[1]!, hash: sha256(m[2]!) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The session signing key: derived from the cluster secret, so every instance accepts every session. */
export function sessionKey(clusterSecret: string): Buffer {
  return createHmac('sha256', clusterSecret).update('darkroom http session v1').digest();
}

export interface Session {
  readonly user: string;
  /** Wall-clock expiry, ms since the epoch. */
  readonly expiresAtMs: number;
  /** A prefix of the user's password hash when the session was made: a new password ends old sessions. */
  readonly pw: string;
}

/** `<payload>.<mac>`, both base64url. */
export function signSession(key: Buffer, s: Session): string {
  const payload = Buffer.from(JSON.stringify([s.user, s.expiresAtMs, s.pw])).toString('base64url');
  const mac = createHmac('sha256', key).update(payload).digest('base64url');
  return `${payload}.${mac}`;
}

/** The session of a cookie value, or undefined when it is forged, malformed or expired. */
export function readSession(key: Buffer, value: string, nowMs: number): Session | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0 || value.length > 1024) return undefined;
  const payload = value.slice(0, dot);
  const mac = Buffer.from(value.slice(dot + 1), 'base64url');
  const want = createHmac('sha256', key).update(payload).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [user, expiresAtMs, pw] = parsed as unknown[];
    if (typeof user !== 'string' || typeof expiresAtMs !== 'number' || typeof pw !== 'string')
      return undefined;
    if (expiresAtMs <= nowMs) return undefined;
    return { user, expiresAtMs, pw };
  } catch {
    return undefined;
  }
}

/** The part of a password hash a session remembers (its salt: changes with every new password). */
export function passwordStamp(passwordHash: string | undefined): string {
  return (passwordHash ?? '').split('$')[4] ?? '';
}
