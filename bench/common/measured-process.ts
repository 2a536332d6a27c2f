// Runs a command as a child process under /usr/bin/time and reports its wall time (measured
// here, spawn to exit), its peak resident memory and its CPU time (the kernel's rusage of the child).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Measured {
  /** Spawn to exit, as a hotfolder script would experience it. */
  readonly ms: number;
  /** Peak resident set size of the command, in megabytes (MiB); NaN if /usr/bin/time is missing. */
  readonly maxRssMb: number;
  /** User + system CPU time of the command, ms; NaN if /usr/bin/time is missing. */
  readonly cpuMs: number;
}

const timePath = '/usr/bin/time';
const marker = 'BENCH_RUSAGE=';

export function runMeasured(command: string, args: readonly string[]): Promise<Measured> {
  const withTime = existsSync(timePath);
  const file = withTime ? timePath : command;
  const argv = withTime ? ['-f', `${marker}%M %U %S`, command, ...args] : [...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`));
        return;
      }
      const m = new RegExp(`${marker}(\\d+) ([\\d.]+) ([\\d.]+)`).exec(stderr);
      if (!m) {
        resolve({ ms, maxRssMb: Number.NaN, cpuMs: Number.NaN });
        return;
      }
      resolve({ ms, maxRssMb: Number(m[1]) / 1024, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 });
    });
  });
}
