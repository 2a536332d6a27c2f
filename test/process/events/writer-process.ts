// Spawns a log-writer fixture as a real OS process (node --import tsx, so the pid is the writer
// itself: signals reach it) and collects its output lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface WriterRun {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves when a line satisfying `pred` has been printed (rejects at exit or deadline). */
  waitForLine(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function runWriter(fixture: 'log-writer-notes' | 'log-writer-crash', config: object): WriterRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `test/fixtures/${fixture}.ts`, JSON.stringify(config)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DARKROOM_CRASH_AT: '', DARKROOM_PAUSE_AT: '' },
    },
  );
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of watchers) w();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) =>
      child.on('exit', (code, signal) => {
        for (const w of watchers) w();
        resolve({ code, signal, stderr });
      }),
  );
  const waitForLine = (pred: (line: string) => boolean, timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no such line within ${timeoutMs} ms; saw: ${lines.join(' | ')} ${stderr}`)),
        timeoutMs,
      );
      const check = (): void => {
        const hit = lines.find(pred);
        if (hit !== undefined) done(undefined, hit);
        else if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`writer exited; saw: ${lines.join(' | ')} ${stderr}`));
      };
      function done(err?: Error, line?: string): void {
        clearTimeout(timer);
        watchers.delete(check);
        if (err) reject(err);
        else resolve(line!);
      }
      watchers.add(check);
      check();
    });
  return { child, lines, exited, waitForLine };
}

/** Acknowledged notes a writer printed: text -> seq. */
export function acked(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) {
    const [tag, seq, text] = l.split(' ');
    if (tag === 'ACK') m.set(text!, Number(seq));
  }
  return m;
}
