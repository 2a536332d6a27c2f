// Result tickets: the XML written next to a job's output when its job ticket asked for one —
// status, quality verdict, where the output and the original went, the processing log.
// Written under a temp name and renamed, so a reader never sees half a ticket.
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';

export const jobResultSchema = z
  .object({
    jobId: z.string().min(1),
    channel: z.string().min(1),
    reference: z.string().optional().describe("the job ticket's reference, echoed"),
    image: z.string().min(1).describe('the input, relative to the input folder'),
    status: z.enum(['completed', 'failed', 'review', 'rejected']),
    verdict: z
      .object({
        passed: z.boolean(),
        reasons: z.array(z.string()).describe('why the quality check rejected it (empty when passed)'),
      })
      .strict()
      .optional(),
    outputs: z.array(z.string()).describe('published output paths'),
    original: z
      .object({
        action: z.enum(['archived', 'deleted', 'left', 'bad']),
        path: z.string().optional(),
      })
      .strict()
      .optional(),
    error: z.object({ code: z.string(), message: z.string() }).strict().optional(),
    instance: z.string().optional(),
    attempt: z.number().int().positive().optional(),
    finishedAt: z.string().describe('ISO 8601 wall time'),
    durationMs: z.number().nonnegative().optional(),
    log: z.array(
      z.object({ at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() }).strict(),
    ),
  })
  .strict();
export type JobResult = z.infer<typeof jobResultSchema>;

/** `out/photo.jpg` -> `out/photo.result.xml` (tickets named `*.result.xml` are never read as job tickets). */
export function resultTicketPath(outputPath: string): string {
  const name = basename(outputPath, extname(outputPath));
  return join(dirname(outputPath), `${name}.result.xml`);
}

/** The XML text of a result ticket. Pure. */
export function renderResultTicket(input: JobResult): string {
  const r = jobResultSchema.parse(input);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<jobResult version="1">'];
  const el = (name: string, value: string | number | boolean | undefined, indent = '  ') => {
    if (value !== undefined) lines.push(`${indent}<${name}>${escapeXml(String(value))}</${name}>`);
  };
  el('jobId', r.jobId);
  el('channel', r.channel);
  el('reference', r.reference);
  el('image', r.image);
  el('status', r.status);
  if (r.verdict) {
    lines.push(`  <verdict passed="${r.verdict.passed}">`);
    for (const reason of r.verdict.reasons) el('reason', reason, '    ');
    lines.push('  </verdict>');
  }
  lines.push('  <outputs>');
  for (const o of r.outputs) el('output', o, '    ');
  lines.push('  </outputs>');
  if (r.original) {
    const path = r.original.path !== undefined ? ` path="${escapeXml(r.original.path)}"` : '';
    lines.push(`  <original action="${r.original.action}"${path}/>`);
  }
  if (r.error) {
    lines.push(`  <error code="${escapeXml(r.error.code)}">${escapeXml(r.error.message)}</error>`);
  }
  el('instance', r.instance);
  el('attempt', r.attempt);
  el('finishedAt', r.finishedAt);
  el('durationMs', r.durationMs);
  lines.push('  <log>');
  for (const e of r.log) {
    lines.push(`    <entry at="${escapeXml(e.at)}" level="${e.level}">${escapeXml(e.message)}</entry>`);
  }
  lines.push('  </log>', '</jobResult>', '');
  return lines.join('\n');
}

/**
 * Writes the result ticket at `path` (usually resultTicketPath(output)): temp name, fsync, rename.
 * A rerun of the same job replaces it with its own result.
 */
export async function writeResultTicket(path: string, result: JobResult): Promise<string> {
  const text = renderResultTicket(result);
  const tmp = join(dirname(path), `.${basename(path)}.${result.jobId}.tmp`);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return path;
}

export function escapeXml(s: string): string {
  return Array.from(s)
    .filter((ch) => allowedInXml(ch.codePointAt(0)!))
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** XML 1.0 allows tab, newline, carriage return and everything from U+0020 but U+FFFE/U+FFFF. */
function allowedInXml(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code !== 0xfffe && code !== 0xffff);
}
