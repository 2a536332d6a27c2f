// ClaroServers.conf: parses the cluster's one conf file (identical on every server) into a frozen
// ClusterConf, and finds which server entry is this instance. Format: `key = value` lines, `#`
// comments, repeated `server =` lines; every key is declared in conf-schema.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, resolve } from 'node:path';
import { DarkroomError } from '../errors/darkroom-error.js';
import {
  confKeyNames,
  isConfKey,
  keySpec,
  serverEntrySchema,
  type ConfKey,
  type KeySpec,
} from './conf-schema.js';

export interface ServerEntry {
  /** The instance id. */
  readonly name: string;
  readonly host: string;
  readonly clusterPort: number;
  readonly httpPort: number;
  /** Line of the conf file that declared it. */
  readonly line: number;
}

export interface ClusterConf {
  /** Absolute path of the conf file. */
  readonly file: string;
  /** Absolute path of the shared drive. */
  readonly sharedDir: string;
  readonly servers: readonly ServerEntry[];
  readonly clusterPort: number;
  readonly httpPort: number;
  /** The cluster secret (from `secret` or read from `secretFile`). Never log it. */
  readonly secret: string;
  /** Absolute path of the secret file, when the secret came from one. */
  readonly secretFile?: string;
  /** Jobs per instance; undefined means "the CPU count of each server". */
  readonly slots?: number;
  readonly pollHotfolders: boolean;
  readonly pollIntervalMs: number;
  readonly hotfolderRescanMs: number;
  readonly heartbeatMs: number;
  readonly failureTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly lockStaleMs: number;
  readonly lockUpdateMs: number;
  readonly logPollMs: number;
  /** Coordinator packs log batches into segments this often (0: never). */
  readonly packEveryMs: number;
  readonly maxAttempts: number;
  /** Largest upload the HTTP API takes (bytes). */
  readonly maxUploadBytes: number;
  /** Lifetime of a web login session (ms). */
  readonly sessionTtlMs: number;
  /** SHA-256 (hex) of the file text: instances started with different confs can be told apart. */
  readonly hash: string;
}

export interface ParseOptions {
  /** Reads the secretFile (tests inject; default: fs.readFileSync). */
  readonly readFile?: (path: string) => string;
}

type Value = number | boolean | string | ServerEntryValue;
interface ServerEntryValue {
  name: string;
  host: string;
  clusterPort?: number;
  httpPort?: number;
}

interface Assigned {
  value: Value;
  line: number;
}

/**
 * Parses the text of a conf file. `file` is how errors name it (as the user gave it);
 * relative paths in the file resolve against its folder. Throws E_CONF_SYNTAX (a line is wrong),
 * E_CONF_INVALID (the file as a whole is incomplete or inconsistent) or E_CONF_UNREADABLE (secretFile).
 */
export function parseConf(text: string, file: string, options: ParseOptions = {}): ClusterConf {
  const values = new Map<ConfKey, Assigned>();
  const servers: { value: ServerEntryValue; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const syntax = (detail: string) => new DarkroomError('E_CONF_SYNTAX', { file, line, detail });
    const content = stripComment(raw).trim();
    if (content === '') return;
    const eq = content.indexOf('=');
    if (eq < 0) throw syntax(`expected "key = value", found "${content}"`);
    const key = content.slice(0, eq).trim();
    const rawValue = unquote(content.slice(eq + 1).trim());
    if (key === '') throw syntax(`missing the key before "="`);
    if (!isConfKey(key)) throw syntax(`unknown key "${key}"${suggestion(key)}`);
    const spec = keySpec(key);
    if (rawValue === '') throw syntax(`${key} has no value`);
    const value = convert(key, spec, rawValue, syntax);
    if (spec.repeat) {
      servers.push({ value: value as ServerEntryValue, line });
      return;
    }
    const earlier = values.get(key);
    if (earlier) throw syntax(`${key} is given again (first on line ${earlier.line})`);
    values.set(key, { value, line });
  });
  return freezeDeep(assemble(file, text, values, servers, options));
}

/** Reads and parses a conf file (E_CONF_UNREADABLE if it cannot be read). */
export async function loadConf(file: string, options: ParseOptions = {}): Promise<ClusterConf> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DarkroomError('E_CONF_UNREADABLE', { file, reason: errReason(err) }, { cause: err });
  }
  return parseConf(text, file, options);
}

export interface LocalHost {
  readonly hostname: string;
  /** This machine's addresses (all interfaces, loopback included). */
  readonly addresses: readonly string[];
}

export function localHost(): LocalHost {
  const addresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((a) => a.address);
  return { hostname: hostname(), addresses };
}

/**
 * This instance's server entry: the one named `id`, or else the one entry whose host is this
 * machine (its host name, short or full, `localhost`, or one of its addresses).
 * E_CONF_NO_INSTANCE when none matches; E_CONF_INSTANCE_AMBIGUOUS when several do (pass --id).
 */
export function resolveSelf(conf: ClusterConf, id?: string, local: LocalHost = localHost()): ServerEntry {
  const names = conf.servers.map((s) => s.name).join(', ');
  if (id !== undefined) {
    const entry = conf.servers.find((s) => s.name === id);
    if (!entry)
      throw new DarkroomError('E_CONF_NO_INSTANCE', {
        file: conf.file,
        what: `--id ${id} (servers: ${names})`,
      });
    return entry;
  }
  // This machine by name or by a non-loopback address first; loopback entries (tests, demos,
  // several instances on one machine) only when no entry names the machine itself.
  const loopback = new Set<string>(['localhost', '127.0.0.1', '::1']);
  const mine = new Set<string>();
  const full = local.hostname.toLowerCase();
  mine.add(full);
  mine.add(full.split('.')[0] ?? full);
  for (const a of local.addresses) if (!loopback.has(a.toLowerCase())) mine.add(a.toLowerCase());
  const hostOf = (s: ServerEntry) => s.host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const isAddress = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
  let matches = conf.servers.filter((s) => {
    const h = hostOf(s);
    return mine.has(h) || (!isAddress(h) && mine.has(h.split('.')[0] ?? h));
  });
  if (matches.length === 0) matches = conf.servers.filter((s) => loopback.has(hostOf(s)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new DarkroomError('E_CONF_NO_INSTANCE', {
      file: conf.file,
      what: `this host (${local.hostname}; servers: ${names})`,
    });
  }
  throw new DarkroomError('E_CONF_INSTANCE_AMBIGUOUS', {
    file: conf.file,
    names: matches.map((s) => s.name).join(', '),
  });
}

/** The conf as shown to people: everything but the secret. */
export function describeConf(conf: ClusterConf): Record<string, unknown> {
  return { ...conf, secret: maskSecret(conf.secret) };
}

export function maskSecret(secret: string): string {
  return `${'*'.repeat(8)} (${secret.length} characters)`;
}

// ------------------------------------------------------------------------------------------

/** `#` starts a comment at the start of a line or after whitespace (so `a#b` values survive). */
function stripComment(raw: string): string {
  const m = /(^|\s)#/.exec(raw);
  return m ? raw.slice(0, m.index) : raw;
}

/** A value may be written in double quotes (to keep ` #` or surrounding spaces). */
function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function suggestion(key: string): string {
  const lower = key.toLowerCase();
  const close = confKeyNames.find(
    (k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower.slice(0, 5)),
  );
  return close ? ` (did you mean "${close}"?)` : ` (known keys: ${confKeyNames.join(', ')})`;
}

function convert(key: ConfKey, spec: KeySpec, raw: string, syntax: (d: string) => DarkroomError): Value {
  let value: Value;
  switch (spec.kind) {
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) throw syntax(`${key} "${raw}" is not a number`);
      value = Number(raw);
      break;
    case 'bool': {
      const b = /^(true|yes|on)$/i.test(raw) ? true : /^(false|no|off)$/i.test(raw) ? false : undefined;
      if (b === undefined) throw syntax(`${key} "${raw}" is not true or false`);
      value = b;
      break;
    }
    case 'string':
    case 'path':
      value = raw;
      break;
    case 'server':
      return parseServer(raw, syntax);
  }
  const checked = spec.schema.safeParse(value);
  if (!checked.success) throw syntax(`${key} "${raw}" ${checked.error.issues[0]?.message ?? 'is not valid'}`);
  return value;
}

function parseServer(raw: string, syntax: (d: string) => DarkroomError): ServerEntryValue {
  const m = /^(?:([^@\s]*)@)?(\[[^\]]*\]|[^:\s]*)(?::([^:\s]*))?(?::([^:\s]*))?$/.exec(raw);
  if (!m) {
    throw syntax(`server "${raw}" is not NAME@HOST[:CLUSTERPORT[:HTTPPORT]]`);
  }
  const [, name, host = '', cport, hport] = m;
  if (host === '') throw syntax(`server "${raw}" has no host`);
  if (name === '') throw syntax(`server "${raw}" has an empty name before "@"`);
  const portOf = (p: string | undefined, what: string): number | undefined => {
    if (p === undefined || p === '') return undefined;
    if (!/^\d+$/.test(p)) throw syntax(`${what} "${p}" is not a number`);
    return Number(p);
  };
  const entry = {
    name: name ?? host.replace(/^\[|\]$/g, ''),
    host,
    clusterPort: portOf(cport, 'port'),
    httpPort: portOf(hport, 'HTTP port'),
  };
  const checked = serverEntrySchema.safeParse(entry);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = String(issue?.path[0] ?? 'entry');
    throw syntax(`server "${raw}": ${field} ${issue?.message ?? 'is not valid'}`);
  }
  return entry;
}

function assemble(
  file: string,
  text: string,
  values: Map<ConfKey, Assigned>,
  serverLines: { value: ServerEntryValue; line: number }[],
  options: ParseOptions,
): ClusterConf {
  const invalid = (detail: string) => new DarkroomError('E_CONF_INVALID', { file, detail });
  const baseDir = dirname(resolve(file));
  const get = (key: ConfKey): Value | undefined => values.get(key)?.value ?? keySpec(key).default;
  const num = (key: ConfKey) => get(key) as number;

  if (serverLines.length === 0) {
    throw invalid('no "server =" line: list every instance as server = NAME@HOST:CLUSTERPORT:HTTPPORT');
  }
  const shared = get('shared') as string | undefined;
  if (shared === undefined) throw invalid('missing "shared = PATH" (the shared drive of the cluster)');

  const clusterPort = num('clusterPort');
  const httpPort = num('httpPort');
  const servers: ServerEntry[] = [];
  const seenName = new Map<string, number>();
  const seenPort = new Map<string, number>();
  for (const { value, line } of serverLines) {
    const entry: ServerEntry = {
      name: value.name,
      host: value.host,
      clusterPort: value.clusterPort ?? clusterPort,
      httpPort: value.httpPort ?? httpPort,
      line,
    };
    const syntax = (detail: string) => new DarkroomError('E_CONF_SYNTAX', { file, line, detail });
    const first = seenName.get(entry.name);
    if (first !== undefined) {
      throw syntax(
        `server name "${entry.name}" is used again (first on line ${first}); give each entry NAME@`,
      );
    }
    seenName.set(entry.name, line);
    if (entry.clusterPort === entry.httpPort) {
      throw syntax(`server "${entry.name}" uses port ${entry.clusterPort} for both the cluster and HTTP`);
    }
    for (const p of [entry.clusterPort, entry.httpPort]) {
      const where = `${entry.host.toLowerCase()}:${p}`;
      const other = seenPort.get(where);
      if (other !== undefined) throw syntax(`${where} is already used by the server on line ${other}`);
      seenPort.set(where, line);
    }
    servers.push(entry);
  }

  const inline = get('secret') as string | undefined;
  const secretFileRaw = get('secretFile') as string | undefined;
  if (inline !== undefined && secretFileRaw !== undefined) {
    throw invalid(
      `give either secret (line ${values.get('secret')!.line}) or secretFile (line ${values.get('secretFile')!.line}), not both`,
    );
  }
  let secret: string;
  let secretFile: string | undefined;
  if (inline !== undefined) secret = inline;
  else if (secretFileRaw !== undefined) {
    secretFile = resolve(baseDir, secretFileRaw);
    let content: string;
    try {
      content = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(secretFile);
    } catch (err) {
      throw new DarkroomError(
        'E_CONF_UNREADABLE',
        { file: secretFile, reason: errReason(err) },
        { cause: err },
      );
    }
    secret = (content.split(/\r?\n/)[0] ?? '').trim();
    const checked = keySpec('secret').schema.safeParse(secret);
    if (!checked.success) {
      throw invalid(`the secret in ${secretFile} ${checked.error.issues[0]?.message ?? 'is not valid'}`);
    }
  } else {
    throw invalid(
      'missing "secret = ..." or "secretFile = PATH" (`darkroom conf init` writes a fresh secret)',
    );
  }

  const lockStaleMs = num('lockStaleMs');
  const lockUpdateMs = num('lockUpdateMs');
  if (lockStaleMs < 2 * lockUpdateMs) {
    throw invalid(`lockStaleMs (${lockStaleMs}) must be at least twice lockUpdateMs (${lockUpdateMs})`);
  }
  const heartbeatMs = num('heartbeatMs');
  const failureTimeoutMs = num('failureTimeoutMs');
  if (failureTimeoutMs < 2 * heartbeatMs) {
    throw invalid(
      `failureTimeoutMs (${failureTimeoutMs}) must be at least twice heartbeatMs (${heartbeatMs})`,
    );
  }

  const conf: ClusterConf = {
    file: resolve(file),
    sharedDir: resolve(baseDir, shared),
    servers,
    clusterPort,
    httpPort,
    secret,
    ...(secretFile !== undefined ? { secretFile } : {}),
    ...(values.has('slots') ? { slots: num('slots') } : {}),
    pollHotfolders: get('pollHotfolders') as boolean,
    pollIntervalMs: num('pollIntervalMs'),
    hotfolderRescanMs: num('hotfolderRescanMs'),
    heartbeatMs,
    failureTimeoutMs,
    drainTimeoutMs: num('drainTimeoutMs'),
    lockStaleMs,
    lockUpdateMs,
    logPollMs: num('logPollMs'),
    packEveryMs: num('packEveryMs'),
    maxAttempts: num('maxAttempts'),
    maxUploadBytes: num('maxUploadBytes'),
    sessionTtlMs: num('sessionTtlMs'),
    hash: createHash('sha256').update(text).digest('hex'),
  };
  return conf;
}

function errReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  return err instanceof Error ? err.message : String(err);
}

function freezeDeep(value: ClusterConf): ClusterConf {
  return freezeAll(value) as ClusterConf;
}

function freezeAll(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freezeAll(v);
    Object.freeze(value);
  }
  return value;
}
