// The first admin: an instance that finds no users in the log creates `admin`, with the password
// from DARKROOM_ADMIN_PASSWORD or a random one written to <shared>/cluster/initial-admin-password
// (mode 0600). Of instances racing, the first UserAdded stands (replay rules); only the instance
// whose hash stands writes the file.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventLog } from '../events/event-log.js';
import type { Logger } from '../logger.js';
import type { ProjectionState } from '../projections/state.js';
import { hashPassword } from '../users/credentials.js';

export const initialPasswordFile = (sharedDir: string): string =>
  join(sharedDir, 'cluster', 'initial-admin-password');

/** Creates the first admin when the log has no users; returns how (or undefined: users exist). */
export async function ensureFirstAdmin(
  log: EventLog<ProjectionState>,
  sharedDir: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<'env' | 'file' | undefined> {
  if (log.state.config.users.size > 0) return undefined;
  const given = env['DARKROOM_ADMIN_PASSWORD'];
  const password = given !== undefined && given.length >= 8 ? given : randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password);
  if (log.state.config.users.size > 0) return undefined;
  const [rec] = await log.append([
    { type: 'UserAdded', data: { user: 'admin', role: 'admin', passwordHash } },
  ]);
  if (rec !== undefined) await log.whenApplied(rec.seq);
  if (log.state.config.users.get('admin')?.passwordHash !== passwordHash) return undefined;
  if (given !== undefined && given.length >= 8) {
    logger.info({ user: 'admin' }, 'first admin created with the password from DARKROOM_ADMIN_PASSWORD');
    return 'env';
  }
  const file = initialPasswordFile(sharedDir);
  await mkdir(join(sharedDir, 'cluster'), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  logger.warn(
    { user: 'admin', file },
    'first admin created: its password is in this file; log in, change it, delete the file',
  );
  return 'file';
}
