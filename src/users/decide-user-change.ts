// The user decider: an admin's command on users and tokens (add, change, remove, create or revoke
// a token) and the projection in, the events to append out. Pure: the CLI and the HTTP API both
// go through it; password and token hashing happen in the shell before.
import type { DarkroomEvent } from '../events/event-types.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import type { ProjectionState, UserView } from '../projections/state.js';

export type Role = UserView['role'];
export const roles: readonly Role[] = ['viewer', 'operator', 'admin'];

/** True when `role` may do what `needs` may. */
export function roleAtLeast(role: Role, needs: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needs);
}

export const userNamePattern = /^[A-Za-z0-9._-]{1,64}$/;

export type UserCommand =
  | { readonly kind: 'add'; readonly user: string; readonly role: Role; readonly passwordHash?: string }
  /** Adds the user, or changes its role and password when it exists (`darkroom user add`). */
  | { readonly kind: 'put'; readonly user: string; readonly role: Role; readonly passwordHash?: string }
  | { readonly kind: 'change'; readonly user: string; readonly role?: Role; readonly passwordHash?: string }
  | { readonly kind: 'remove'; readonly user: string }
  | {
      readonly kind: 'createToken';
      readonly user: string;
      readonly tokenId: string;
      readonly hash: string;
      readonly label: string;
    }
  | { readonly kind: 'revokeToken'; readonly tokenId: string };

export interface UserDecision {
  readonly events: readonly DarkroomEvent[];
  readonly conditions: readonly [];
}

function known(state: ProjectionState, user: string): UserView {
  const view = state.config.users.get(user);
  if (view === undefined) throw new DarkroomError('E_USER_UNKNOWN', { user });
  return view;
}

function admins(state: ProjectionState): number {
  let n = 0;
  for (const u of state.config.users.values()) if (u.role === 'admin') n++;
  return n;
}

/** The user holding token `tokenId`, or undefined. */
export function tokenOwner(state: ProjectionState, tokenId: string): UserView | undefined {
  for (const u of state.config.users.values()) {
    if (u.tokens?.some((t) => t.tokenId === tokenId) === true) return u;
  }
  return undefined;
}

/**
 * Pure: what to append for `command` by `by` (the person, absent for the CLI). Throws
 * E_USER_EXISTS, E_USER_UNKNOWN, E_USER_LAST_ADMIN (removing or demoting the last admin),
 * E_TOKEN_UNKNOWN or E_REQUEST_INVALID (a bad user name). The replay rules ignore a UserAdded
 * for a user that exists meanwhile, so a race between two adds leaves the first one standing.
 */
export function decideUserChange(state: ProjectionState, command: UserCommand, by?: string): UserDecision {
  const who = by === undefined ? {} : { by };
  const none = [] as const;
  switch (command.kind) {
    case 'add':
    case 'put': {
      if (!userNamePattern.test(command.user)) {
        throw new DarkroomError('E_REQUEST_INVALID', {
          where: 'user',
          detail: `user name "${command.user}" must be 1-64 of A-Z a-z 0-9 . _ -`,
        });
      }
      const view = state.config.users.get(command.user);
      const hash = command.passwordHash === undefined ? {} : { passwordHash: command.passwordHash };
      if (view === undefined) {
        return {
          events: [{ type: 'UserAdded', data: { user: command.user, role: command.role, ...hash, ...who } }],
          conditions: none,
        };
      }
      if (command.kind === 'add') throw new DarkroomError('E_USER_EXISTS', { user: command.user });
      return decideUserChange(state, { ...command, kind: 'change' }, by);
    }
    case 'change': {
      const view = known(state, command.user);
      const role = command.role ?? view.role;
      if (view.role === 'admin' && role !== 'admin' && admins(state) === 1) {
        throw new DarkroomError('E_USER_LAST_ADMIN', { user: command.user });
      }
      if (role === view.role && command.passwordHash === undefined) return { events: [], conditions: none };
      const hash = command.passwordHash === undefined ? {} : { passwordHash: command.passwordHash };
      return {
        events: [{ type: 'UserChanged', data: { user: command.user, role, ...hash, ...who } }],
        conditions: none,
      };
    }
    case 'remove': {
      const view = known(state, command.user);
      if (view.role === 'admin' && admins(state) === 1) {
        throw new DarkroomError('E_USER_LAST_ADMIN', { user: command.user });
      }
      return { events: [{ type: 'UserRemoved', data: { user: command.user, ...who } }], conditions: none };
    }
    case 'createToken': {
      known(state, command.user);
      return {
        events: [
          {
            type: 'TokenCreated',
            data: {
              user: command.user,
              tokenId: command.tokenId,
              hash: command.hash,
              label: command.label,
              ...who,
            },
          },
        ],
        conditions: none,
      };
    }
    case 'revokeToken': {
      const owner = tokenOwner(state, command.tokenId);
      if (owner === undefined) throw new DarkroomError('E_TOKEN_UNKNOWN', { tokenId: command.tokenId });
      return {
        events: [{ type: 'TokenRevoked', data: { user: owner.user, tokenId: command.tokenId, ...who } }],
        conditions: none,
      };
    }
  }
}
