// `darkroom submit FILE... --channel C [--server URL] [--wait] [--out DIR]`: uploads images over
// HTTP to any instance (the next URL of --server when one cannot be reached), with a progress bar
// for many files; --wait follows each job to its end and --out downloads the results.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConf } from '../cluster/conf.js';
import { isErrorCode } from '../errors/catalogue.js';
import { DarkroomError } from '../errors/darkroom-error.js';
import { action, type CliContext } from './cli-context.js';

interface SubmitOptions {
  channel: string;
  server?: string;
  conf?: string;
  token?: string;
  wait?: boolean;
  out?: string;
  pollMs: string;
  json?: boolean;
}

interface Outcome {
  file: string;
  id?: string;
  state?: string;
  result?: string;
  error?: string;
}

const finalStates = new Set(['completed', 'failed', 'cancelled', 'review']);

/** An HTTP client over several instance URLs: a request that cannot connect tries the next one. */
export class ApiClient {
  #i = 0;
  constructor(
    readonly urls: readonly string[],
    readonly token: string | undefined,
  ) {}

  async request(method: string, path: string, body?: Buffer, type?: string): Promise<Response> {
    let last: unknown;
    for (let n = 0; n < this.urls.length; n++) {
      const base = this.urls[(this.#i + n) % this.urls.length]!;
      try {
        const res = await fetch(new URL(path, base), {
          method,
          headers: {
            ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}),
            ...(type !== undefined ? { 'content-type': type } : {}),
          },
          ...(body !== undefined ? { body } : {}),
        });
        // A stopping instance says so: go on with the next one.
        if (res.status === 503 && this.urls.length > 1) {
          last = await errorOf(res);
          continue;
        }
        this.#i = (this.#i + n) % this.urls.length;
        return res;
      } catch (err) {
        last = new DarkroomError('E_SERVER_UNREACHABLE', { url: base, detail: (err as Error).message });
      }
    }
    throw last instanceof Error
      ? last
      : new DarkroomError('E_SERVER_UNREACHABLE', { url: this.urls.join(', '), detail: String(last) });
  }

  async json<T>(method: string, path: string, body?: Buffer, type?: string): Promise<T> {
    const res = await this.request(method, path, body, type);
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }
}

/** The DarkroomError an error answer carries ({code, message, fix}). */
async function errorOf(res: Response): Promise<DarkroomError> {
  const text = await res.text();
  try {
    const e = JSON.parse(text) as { code?: string; message?: string };
    if (typeof e.code === 'string' && isErrorCode(e.code)) {
      const err = new DarkroomError(e.code, {});
      Object.defineProperty(err, 'message', { value: e.message ?? e.code });
      return err;
    }
  } catch {
    // not JSON: below
  }
  return new DarkroomError('E_SERVER_UNREACHABLE', {
    url: res.url,
    detail: `HTTP ${res.status}: ${text.slice(0, 200)}`,
  });
}

async function serverUrls(opts: SubmitOptions): Promise<string[]> {
  if (opts.server !== undefined)
    return opts.server
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (opts.conf !== undefined) {
    const conf = await loadConf(opts.conf);
    return conf.servers.map((s) => `http://${s.host}:${s.httpPort}`);
  }
  return ['http://127.0.0.1:7901'];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerSubmitCommand(program: Command, ctx: CliContext): void {
  program
    .command('submit <files...>')
    .description(
      'upload images to a channel over HTTP; --wait follows them to the end, --out downloads the results',
    )
    .requiredOption('--channel <name>', 'the channel to process them')
    .option(
      '--server <urls>',
      'HTTP address(es) of instances, comma-separated (default: from --conf, else http://127.0.0.1:7901)',
    )
    .option('--conf <file>', 'take the instances from the cluster conf file')
    .option(
      '--token <token>',
      'API token (default: $DARKROOM_TOKEN; create one with `darkroom token create`)',
    )
    .option('--wait', 'wait until each job is completed, failed, cancelled or in review')
    .option('--out <dir>', 'with --wait: download the results into this folder')
    .option('--poll-ms <ms>', 'how often --wait asks', '500')
    .option('--json', 'one JSON line per file')
    .action(
      action(ctx, async (files: string[], opts: SubmitOptions) => {
        const client = new ApiClient(await serverUrls(opts), opts.token ?? process.env['DARKROOM_TOKEN']);
        const pollMs = Math.max(50, Number(opts.pollMs) || 500);
        const bar =
          files.length > 1 && process.stderr.isTTY && opts.json !== true
            ? new SingleBar({
                format: 'submit [{bar}] {value}/{total} {file}',
                stream: process.stderr,
                hideCursor: true,
              })
            : undefined;
        bar?.start(files.length * (opts.wait === true ? 2 : 1), 0, { file: '' });
        const outcomes: Outcome[] = [];
        for (const file of files) {
          const o: Outcome = { file };
          outcomes.push(o);
          try {
            const body = await readFile(file);
            const q = `channel=${encodeURIComponent(opts.channel)}&name=${encodeURIComponent(basename(file))}`;
            o.id = (
              await client.json<{ id: string }>('POST', `/api/jobs?${q}`, body, 'application/octet-stream')
            ).id;
            o.state = 'submitted';
          } catch (err) {
            o.error = (err as Error).message;
          }
          bar?.increment(1, { file: basename(file) });
        }
        if (opts.wait === true) {
          for (const o of outcomes) {
            if (o.id === undefined) {
              bar?.increment(1);
              continue;
            }
            for (;;) {
              const job = await client.json<{ state: string; error?: { message: string } }>(
                'GET',
                `/api/jobs/${o.id}`,
              );
              o.state = job.state;
              if (job.error !== undefined) o.error = job.error.message;
              if (finalStates.has(job.state)) break;
              await sleep(pollMs);
            }
            if (o.state === 'completed' && opts.out !== undefined) {
              const res = await client.request('GET', `/api/jobs/${o.id}/result`);
              if (!res.ok) o.error = (await errorOf(res)).message;
              else {
                const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '');
                const name = basename(m?.[1] ?? `${o.id}.bin`);
                await mkdir(opts.out, { recursive: true });
                o.result = join(opts.out, name);
                await writeFile(o.result, Buffer.from(await res.arrayBuffer()));
              }
            }
            bar?.increment(1, { file: basename(o.file) });
          }
        }
        bar?.stop();
        for (const o of outcomes) {
          if (opts.json === true) ctx.out(JSON.stringify(o));
          else
            ctx.out(
              `${o.file}: ${o.id ?? '-'} ${o.state ?? 'not submitted'}${o.result !== undefined ? ` -> ${o.result}` : ''}${o.error !== undefined ? ` (${o.error})` : ''}`,
            );
        }
        const bad = outcomes.filter(
          (o) => o.id === undefined || (opts.wait === true && o.state !== 'completed'),
        );
        return bad.length === 0 ? 0 : 1;
      }),
    );
}
