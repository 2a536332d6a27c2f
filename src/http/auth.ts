// Who is asking: the session cookie or the bearer token of a request, resolved against the users
// of the projection on every request (a removed user or a changed role takes effect at once).
import type { FastifyRequest } from 'fastify';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { ProjectionState, UserView } from '../projections/state.js';
import { parseToken, passwordStamp, readSession, sameDigest } from '../users/credentials.js';
import { roleAtLeast, type Role } from '../users/decide-user-change.js';

export const SESSION_COOKIE = 'darkroom_session';

export interface Principal {
  readonly user: string;
  readonly role: Role;
  readonly via: 'session' | 'token';
}

/** Token id -> [user, hash], per version of the users map. */
const tokenIndex = new WeakMap<object, Map<string, readonly [UserView, string]>>();

function tokensOf(state: ProjectionState): Map<string, readonly [UserView, string]> {
  const users = state.config.users;
  let index = tokenIndex.get(users);
  if (index === undefined) {
    index = new Map();
    for (const u of users.values()) for (const t of u.tokens ?? []) index.set(t.tokenId, [u, t.hash]);
    tokenIndex.set(users, index);
  }
  return index;
}

/** The cookie value named `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The principal of `req`, undefined when it carries no credentials; E_AUTH_FAILED when it carries
 * bad ones (a forged or expired session, an unknown or revoked token, a removed user).
 */
export function principalOf(
  req: FastifyRequest,
  state: ProjectionState,
  key: Buffer,
  nowMs: number,
): Principal | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const parsed = m === null ? undefined : parseToken(m[1]!);
    if (parsed === undefined)
      throw new DarkroomError('E_AUTH_FAILED', { detail: 'the bearer token is malformed' });
    const found = tokensOf(state).get(parsed.tokenId);
    if (found === undefined || !sameDigest(found[1], parsed.hash)) {
      throw new DarkroomError('E_AUTH_FAILED', { detail: 'unknown or revoked token' });
    }
    return { user: found[0].user, role: found[0].role, via: 'token' };
  }
  const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (value === undefined || value === '') return undefined;
  const session = readSession(key, value, nowMs);
  if (session === undefined)
    throw new DarkroomError('E_AUTH_FAILED', {
      detail: 'the session has expired or is invalid; log in again',
    });
  const user = state.config.users.get(session.user);
  if (user === undefined || passwordStamp(user.passwordHash) !== session.pw) {
    throw new DarkroomError('E_AUTH_FAILED', {
      detail: 'the session has ended (user removed or password changed); log in again',
    });
  }
  return { user: user.user, role: user.role, via: 'session' };
}

/** Throws E_AUTH_REQUIRED or E_FORBIDDEN unless `p` has at least role `needs`. */
export function requireRole(p: Principal | undefined, needs: Role, action: string): Principal {
  if (p === undefined) throw new DarkroomError('E_AUTH_REQUIRED');
  if (!roleAtLeast(p.role, needs)) {
    throw new DarkroomError('E_FORBIDDEN', { user: p.user, role: p.role, action, needs });
  }
  return p;
}
