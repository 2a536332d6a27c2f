// `darkroom doctor`: checks, on the real shared drive, the file-system behaviour darkroom's safety
// rests on (DESIGN.md "Supported drives"): exclusive create and mkdir exclude, link is exclusive
// (output publishing and log packing), rename replaces atomically, fsync works, how far the
// server's clock (file mtimes) is from ours (the append lock's stale test compares them), the
// append lock, and — given a second view of the same share (another mount point) — how long a
// file created through one view takes to become visible through the other.
//
// Files touched: a scratch folder <shared>/doctor/<host>-<pid>-<random>/, removed at the end.
// Atomic operations exercised: open(wx), mkdir, link, rename; nothing outside the scratch folder.
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

/** The file-system calls the checks make (node:fs/promises; tests pass a faulty one). */
export interface DriveFs {
  open: typeof nodeFs.open;
  mkdir: typeof nodeFs.mkdir;
  link: typeof nodeFs.link;
  rename: typeof nodeFs.rename;
  readFile: typeof nodeFs.readFile;
  writeFile: typeof nodeFs.writeFile;
  readdir: typeof nodeFs.readdir;
  stat: typeof nodeFs.stat;
  rm: typeof nodeFs.rm;
  rmdir: typeof nodeFs.rmdir;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface DriveCheck {
  readonly name: string;
  readonly status: CheckStatus;
  /** One sentence for a person: what was seen, and what to do when it is not ok. */
  readonly detail: string;
  /** Measured figures (milliseconds unless the key says otherwise). */
  readonly figures?: Readonly<Record<string, number>>;
}

export interface DoctorOptions {
  readonly sharedDir: string;
  /** The same share through another mount point (e.g. how another server sees it). */
  readonly viewDir?: string;
  /** The append lock's stale time (conf lockStaleMs): clock skew is judged against it. */
  readonly staleMs?: number;
  /** Rounds of the race checks. */
  readonly rounds?: number;
  /** A check that takes longer fails as "the drive does not answer". */
  readonly checkTimeoutMs?: number;
  /** How long to wait for a file to become visible through the view. */
  readonly visibilityTimeoutMs?: number;
  readonly fs?: DriveFs;
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const round1 = (ms: number): number => Math.round(ms * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

class Fail extends Error {}

interface Ctx {
  readonly fs: DriveFs;
  /** Scratch folder, as seen through the shared dir. */
  readonly dir: string;
  /** The same scratch folder through the view (or the shared dir again when there is none). */
  readonly viewDir: string;
  readonly hasView: boolean;
  readonly rounds: number;
  readonly staleMs: number;
  readonly visibilityTimeoutMs: number;
}

type Check = (c: Ctx) => Promise<Omit<DriveCheck, 'name'>>;

/** Resolves with the error code of `p` ('' when it succeeds). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    const v = await p;
    if (v !== null && typeof v === 'object' && 'close' in v) await (v as nodeFs.FileHandle).close();
    return '';
  } catch (err) {
    return errCode(err) ?? String(err);
  }
}

const exclusiveCreate: Check = async (c) => {
  const f = join(c.dir, 'excl-0');
  await (await c.fs.open(f, 'wx')).close();
  const again = await codeOf(c.fs.open(join(c.viewDir, 'excl-0'), 'wx'));
  if (again !== 'EEXIST')
    throw new Fail(`a second exclusive create of an existing file gave ${again || 'success'}, not EEXIST`);
  let doubles = 0;
  for (let i = 1; i <= c.rounds; i++) {
    const codes = await Promise.all([
      codeOf(c.fs.open(join(c.dir, `excl-${i}`), 'wx')),
      codeOf(c.fs.open(join(c.viewDir, `excl-${i}`), 'wx')),
    ]);
    const wins = codes.filter((x) => x === '').length;
    if (wins !== 1) {
      if (wins === 2) doubles += 1;
      else throw new Fail(`racing exclusive creates of one name both failed: ${codes.join(', ')}`);
    }
  }
  if (doubles > 0)
    throw new Fail(
      `${doubles} of ${c.rounds} racing exclusive creates of one name both succeeded: two writers could take one seq`,
    );
  return {
    status: 'ok',
    detail: `exclusive create refuses an existing name; ${c.rounds} racing pairs${c.hasView ? ' (one through the view)' : ''}: one winner each`,
  };
};

const exclusiveMkdir: Check = async (c) => {
  let doubles = 0;
  for (let i = 0; i < c.rounds; i++) {
    const codes = await Promise.all([
      codeOf(c.fs.mkdir(join(c.dir, `lock-${i}`))),
      codeOf(c.fs.mkdir(join(c.viewDir, `lock-${i}`))),
    ]);
    const wins = codes.filter((x) => x === '').length;
    if (wins === 2) doubles += 1;
    else if (wins === 0) throw new Fail(`racing mkdirs of one name both failed: ${codes.join(', ')}`);
  }
  if (doubles > 0)
    throw new Fail(
      `${doubles} of ${c.rounds} racing mkdirs of one name both succeeded: the append lock cannot work`,
    );
  return {
    status: 'ok',
    detail: `${c.rounds} racing mkdir pairs: one winner each (the append lock's folder)`,
  };
};

const exclusiveLink: Check = async (c) => {
  const src = join(c.dir, 'link-src');
  await c.fs.writeFile(src, 'darkroom');
  const first = await codeOf(c.fs.link(src, join(c.dir, 'link-dst')));
  if (['ENOTSUP', 'EPERM', 'ENOSYS', 'EOPNOTSUPP', 'EXDEV'].includes(first))
    throw new Fail(
      `hard links are not supported here (${first}): outputs are published with link, and log pack needs it; use NFSv4 or an SMB server with hard links`,
    );
  if (first !== '') throw new Fail(`link failed with ${first}`);
  const again = await codeOf(c.fs.link(join(c.viewDir, 'link-src'), join(c.viewDir, 'link-dst')));
  if (again !== 'EEXIST') throw new Fail(`link onto an existing name gave ${again || 'success'}, not EEXIST`);
  const text = await c.fs.readFile(join(c.dir, 'link-dst'), 'utf8');
  if (text !== 'darkroom') throw new Fail('the linked name does not show the file');
  return { status: 'ok', detail: 'link works and refuses an existing name (publishing outputs, log pack)' };
};

const atomicRename: Check = async (c) => {
  const size = 64 * 1024;
  const target = join(c.dir, 'rename-target');
  await c.fs.writeFile(target, Buffer.alloc(size, 'a'));
  const versions = ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  let torn = 0;
  let reads = 0;
  let writing = true;
  const reader = (async () => {
    const seen = join(c.viewDir, 'rename-target');
    while (writing) {
      const b = await c.fs.readFile(seen);
      reads += 1;
      if (b.length !== size || b.some((x) => x !== b[0])) torn += 1;
    }
  })();
  for (let i = 0; i < c.rounds; i++) {
    const tmp = join(c.dir, `.rename-${i}`);
    await c.fs.writeFile(tmp, Buffer.alloc(size, versions[i % versions.length]));
    await c.fs.rename(tmp, target);
  }
  writing = false;
  await reader;
  if (torn > 0) throw new Fail(`${torn} of ${reads} reads during renames saw a mixed or partial file`);
  return {
    status: 'ok',
    detail: `${c.rounds} renames over a file while it was read ${reads} times: every read saw one whole version (snapshots, leases)`,
    figures: { reads },
  };
};

const durableWrite: Check = async (c) => {
  const times: number[] = [];
  const line = Buffer.from(`${'x'.repeat(300)}\n`);
  const dir = await c.fs.open(c.dir, 'r');
  try {
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const fh = await c.fs.open(join(c.dir, `fsync-${i}`), 'wx');
      try {
        await fh.write(line);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await dir.sync();
      const back = await c.fs.readFile(join(c.dir, `fsync-${i}`));
      if (!back.equals(line)) throw new Fail('a file read back after fsync differs from what was written');
      times.push(performance.now() - t);
    }
  } finally {
    await dir.close();
  }
  const ms = round1(median(times));
  return {
    status: 'ok',
    detail: `one durable batch (exclusive create, write, fsync of file and folder, read back): median ${ms} ms`,
    figures: { durableBatchMs: ms, maxMs: round1(Math.max(...times)) },
  };
};

const clockSkew: Check = async (c) => {
  const skews: number[] = [];
  for (let i = 0; i < 5; i++) {
    const f = join(c.dir, `clock-${i}`);
    const before = Date.now();
    await c.fs.writeFile(f, String(i));
    const after = Date.now();
    const { mtimeMs } = await c.fs.stat(f);
    // Positive: the server's clock is ahead of ours. 0 when mtime falls inside [before, after].
    skews.push(mtimeMs > after ? mtimeMs - after : mtimeMs < before - 1 ? mtimeMs - before : 0);
  }
  const skew = Math.round(median(skews));
  const limit = c.staleMs / 4;
  const figures = { skewMs: skew, staleMs: c.staleMs };
  if (Math.abs(skew) > limit)
    return {
      status: 'warn',
      detail: `file times from the drive are ${skew} ms off this server's clock, more than a quarter of lockStaleMs (${c.staleMs}): synchronise the clocks (NTP) or raise lockStaleMs`,
      figures,
    };
  return {
    status: 'ok',
    detail: `file times from the drive are ${skew} ms off this server's clock (lock stale time ${c.staleMs} ms)`,
    figures,
  };
};

const appendLock: Check = async (c) => {
  const target = join(c.dir, 'lock-target');
  await c.fs.mkdir(target);
  const opts = { stale: Math.max(2000, c.staleMs), realpath: false, onCompromised: () => undefined };
  const release = await lockfile.lock(target, opts);
  try {
    const second = await codeOf(lockfile.lock(join(c.viewDir, 'lock-target'), opts));
    if (second !== 'ELOCKED') throw new Fail(`a second lock gave ${second || 'success'}, not ELOCKED`);
  } finally {
    await release();
  }
  const again = await lockfile.lock(target, opts);
  await again();
  return {
    status: 'ok',
    detail: 'the append lock (proper-lockfile) excludes a second holder and is released',
  };
};

async function waitFor(what: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const t = performance.now();
  for (;;) {
    if (await what()) return performance.now() - t;
    if (performance.now() - t > timeoutMs) return undefined;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const visibility: Check = async (c) => {
  if (!c.hasView)
    return {
      status: 'skipped',
      detail:
        'give --view DIR (this share through another mount, as another server sees it) to measure how soon files appear there',
    };
  const name = 'visible-0';
  const viewPath = join(c.viewDir, name);
  // Look first, so a client cache that remembers "absent" is part of the measure.
  await codeOf(c.fs.stat(viewPath));
  await c.fs.writeFile(join(c.dir, name), 'one');
  const byName = await waitFor(async () => (await codeOf(c.fs.stat(viewPath))) === '', c.visibilityTimeoutMs);
  const listed = await waitFor(
    async () => (await c.fs.readdir(c.viewDir)).includes(name),
    c.visibilityTimeoutMs,
  );
  await c.fs.writeFile(join(c.dir, name), 'two, longer');
  const changed = await waitFor(
    async () => (await c.fs.readFile(viewPath, 'utf8').catch(() => '')) === 'two, longer',
    c.visibilityTimeoutMs,
  );
  await c.fs.rm(join(c.dir, name));
  const gone = await waitFor(
    async () => (await codeOf(c.fs.stat(viewPath))) === 'ENOENT',
    c.visibilityTimeoutMs,
  );
  const figures: Record<string, number> = {};
  const parts: string[] = [];
  const late: string[] = [];
  for (const [key, label, ms] of [
    ['newByNameMs', 'a new file by name', byName],
    ['newInListingMs', 'in a listing', listed],
    ['changedMs', 'changed content', changed],
    ['removedMs', 'a removal', gone],
  ] as const) {
    if (ms === undefined) late.push(label);
    else {
      figures[key] = round1(ms);
      parts.push(`${label} ${round1(ms)} ms`);
    }
  }
  if (late.length > 0)
    throw new Fail(
      `the view did not show ${late.join(', ')} within ${c.visibilityTimeoutMs} ms: check the mount's attribute caching (NFS actimeo=1, lookupcache=positive)`,
    );
  const worst = Math.max(...Object.values(figures));
  const detail = `seen through the view after: ${parts.join(', ')}`;
  if (worst > c.staleMs / 2)
    return {
      status: 'warn',
      detail: `${detail}; slower than half of lockStaleMs (${c.staleMs} ms): shorten the attribute caching or raise lockStaleMs`,
      figures,
    };
  return { status: 'ok', detail, figures };
};

const checks: [string, Check][] = [
  ['exclusive-create', exclusiveCreate],
  ['exclusive-mkdir', exclusiveMkdir],
  ['exclusive-link', exclusiveLink],
  ['atomic-rename', atomicRename],
  ['durable-write', durableWrite],
  ['clock-skew', clockSkew],
  ['append-lock', appendLock],
  ['visibility', visibility],
];

/** The check names, in the order they run. */
export const driveCheckNames: readonly string[] = checks.map(([n]) => n);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Fail(`no answer within ${ms} ms: the drive hangs or is very slow`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Runs every check in a scratch folder under `<shared>/doctor/`; never throws for a failed check. */
export async function checkDrive(o: DoctorOptions): Promise<DriveCheck[]> {
  const fs = o.fs ?? nodeFs;
  const scratch = join('doctor', `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const dir = join(o.sharedDir, scratch);
  const out: DriveCheck[] = [];
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    return [
      {
        name: 'writable',
        status: 'fail',
        detail: `cannot create ${dir}: ${(err as Error).message}; check that the drive is mounted read-write`,
      },
    ];
  }
  out.push({ name: 'writable', status: 'ok', detail: `created ${dir}` });
  const ctx: Ctx = {
    fs,
    dir,
    viewDir: o.viewDir === undefined ? dir : join(o.viewDir, scratch),
    hasView: o.viewDir !== undefined,
    rounds: o.rounds ?? 50,
    staleMs: o.staleMs ?? 2500,
    visibilityTimeoutMs: o.visibilityTimeoutMs ?? 30_000,
  };
  const timeoutMs = o.checkTimeoutMs ?? 60_000;
  try {
    for (const [name, check] of checks) {
      try {
        out.push({ name, ...(await withTimeout(check(ctx), timeoutMs)) });
      } catch (err) {
        const detail =
          err instanceof Fail ? err.message : `${errCode(err) ?? 'error'}: ${(err as Error).message}`;
        out.push({ name, status: 'fail', detail });
        if (err instanceof Fail && err.message.startsWith('no answer')) break;
      }
    }
  } finally {
    await withTimeout(fs.rm(dir, { recursive: true, force: true }), 10_000).catch(() => undefined);
    // The doctor/ folder itself goes when no other doctor run is using it.
    await withTimeout(fs.rmdir(join(o.sharedDir, 'doctor')), 10_000).catch(() => undefined);
  }
  return out;
}
