// Id source: time-ordered unique ids for jobs (sortable, safe in file names).
import { randomBytes } from 'node:crypto';

export interface IdSource {
  next(): string;
}

/** Ids like `20261125T130102Z-3f9a1c2b`: the UTC second and 8 random hex digits. */
export function timeOrderedIds(wallTime: () => Date = () => new Date()): IdSource {
  return {
    next() {
      const t = wallTime()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      return `${t}-${randomBytes(4).toString('hex')}`;
    },
  };
}
