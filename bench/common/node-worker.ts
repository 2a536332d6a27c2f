// A bench variant in its own Node process (tsx), driven over IPC: the parent sends jobs and
// times them; the child answers and, at the end, reports its peak RSS — so each variant's
// memory is measured alone, from process start to finish, including Node and libvips.
import { spawn, type ChildProcess } from 'node:child_process';

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

interface Request {
  readonly id: number;
  readonly kind: 'job' | 'stats';
  readonly payload?: unknown;
}

export interface WorkerStats {
  /** process.resourceUsage().maxRSS of the child, in MiB. */
  readonly maxRssMb: number;
}

/** The parent's handle on one worker process. */
export class NodeWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error ?? 'failed'}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`worker ${name} exited (${code ?? signal})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts `node --import tsx script ...args` with an IPC channel; stdout/stderr are inherited. */
  static start(
    name: string,
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): NodeWorker {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    });
    return new NodeWorker(child, name);
  }

  private send(kind: Request['kind'], payload?: unknown): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, kind, payload } satisfies Request);
    });
  }

  job<T>(payload: unknown): Promise<T> {
    return this.send('job', payload) as Promise<T>;
  }

  stats(): Promise<WorkerStats> {
    return this.send('stats') as Promise<WorkerStats>;
  }

  /** Closes the IPC channel (the child then exits by itself) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await gone;
  }
}

/** The child's side: answers jobs with `handle`, stats with its peak RSS; exits when the parent disconnects. */
export function serveWorker(handle: (payload: unknown) => Promise<unknown>): void {
  const send = (r: Reply): void => {
    process.send?.(r);
  };
  process.on('message', (m: Request) => {
    if (m.kind === 'stats') {
      send({
        id: m.id,
        ok: true,
        result: { maxRssMb: process.resourceUsage().maxRSS / 1024 } satisfies WorkerStats,
      });
      return;
    }
    handle(m.payload).then(
      (result) => send({ id: m.id, ok: true, result }),
      (e: unknown) =>
        send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  process.on('disconnect', () => {
    process.exitCode = 0;
  });
}
