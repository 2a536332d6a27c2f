// Purging: given a folder listing and a purge channel's rules (older than, more than N files, more
// than N bytes), the files to delete, oldest first. Pure: `now` is a parameter.
import { z } from 'zod';

export const purgeRulesSchema = z
  .object({
    olderThanMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('delete files whose mtime is older than this (ms)'),
    maxFiles: z.number().int().nonnegative().optional().describe('keep at most this many files (the newest)'),
    maxBytes: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('keep at most this many bytes (the newest files)'),
  })
  .strict()
  .refine((r) => r.olderThanMs !== undefined || r.maxFiles !== undefined || r.maxBytes !== undefined, {
    message: 'give at least one of olderThanMs, maxFiles, maxBytes',
  });
export type PurgeRules = z.infer<typeof purgeRulesSchema>;

export interface ListedFile {
  /** Path relative to the purged folder. */
  readonly relPath: string;
  readonly bytes: number;
  /** Modification time, wall-clock ms since the epoch. */
  readonly mtimeMs: number;
}

/**
 * The files to delete, oldest first (ties by path): first every file older than `olderThanMs`,
 * then the oldest of the rest until at most `maxFiles` files and `maxBytes` bytes remain.
 */
export function decidePurge(listing: readonly ListedFile[], rules: PurgeRules, nowMs: number): ListedFile[] {
  const oldestFirst = [...listing].sort(
    (a, b) => a.mtimeMs - b.mtimeMs || (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0),
  );
  let count = oldestFirst.length;
  let bytes = oldestFirst.reduce((sum, f) => sum + f.bytes, 0);
  const doomed: ListedFile[] = [];
  for (const f of oldestFirst) {
    const tooOld = rules.olderThanMs !== undefined && nowMs - f.mtimeMs > rules.olderThanMs;
    const tooMany = rules.maxFiles !== undefined && count > rules.maxFiles;
    const tooBig = rules.maxBytes !== undefined && bytes > rules.maxBytes;
    if (!tooOld && !tooMany && !tooBig) break;
    doomed.push(f);
    count--;
    bytes -= f.bytes;
  }
  return doomed;
}
