// bench/cli: what a command costs as a whole process, each figure beside its floor from the same
// run (npm run bench:cli). Goals (issue 20, item 4): `darkroom --version` <= 0.1 s wall;
// `darkroom process` of a 12 MP photo within 1.3x of a bare sharp script run the same way.
// Contestants alternate within each round, so machine load hits both alike.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { megapixelJpeg, repoRoot } from '../common/bench-images.js';
import { runMeasured, type Measured } from '../common/measured-process.js';
import { median, num, printTable } from '../common/table.js';

const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
const bin = join(repoRoot, 'bin/darkroom.js');
const floorScript = join(repoRoot, 'bench/cli/sharp-floor.js');

interface Contest {
  readonly label: string;
  /** 'ms': the command's own wall time against `limitMs`; 'ratio': against the floor's. */
  readonly goal: { kind: 'ms'; limitMs: number } | { kind: 'ratio'; limit: number } | undefined;
  readonly subject: readonly string[];
  readonly floorLabel: string;
  readonly floor: readonly string[];
}

async function main(): Promise<void> {
  // dist/ built before anything is timed: the first start after an edit would build it.
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build.js')], { stdio: 'inherit' });
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-bench-cli-'));
  try {
    const photo = await megapixelJpeg(12);
    const settings = join(dir, 'newspaper.json');
    await writeFile(
      settings,
      JSON.stringify({
        geometry: { width: 2000, height: 2000, unit: 'px', fit: 'inside' },
        output: { format: 'jpeg', jpegQuality: 85 },
      }),
    );
    const shared = join(dir, 'shared');
    execFileSync(process.execPath, [bin, 'log', 'init', '--shared', shared]);
    execFileSync(process.execPath, [bin, 'log', 'note', 'bench start', '--shared', shared]);
    const contests: Contest[] = [
      {
        label: 'darkroom --version',
        goal: { kind: 'ms', limitMs: 100 },
        subject: [bin, '--version'],
        floorLabel: 'node -e 0',
        floor: ['-e', '0'],
      },
      {
        label: 'darkroom log note (one durable append)',
        goal: undefined,
        subject: [bin, 'log', 'note', 'bench', '--shared', shared],
        floorLabel: 'node -e 0',
        floor: ['-e', '0'],
      },
      {
        label: 'darkroom process 12 MP -> 2000 px JPEG q85',
        goal: { kind: 'ratio', limit: 1.3 },
        subject: [bin, 'process', photo, join(dir, 'out-darkroom.jpg'), '--settings', settings],
        floorLabel: 'node sharp-floor.js (resize, sharpen, JPEG q85)',
        floor: [floorScript, photo, join(dir, 'out-floor.jpg')],
      },
    ];
    const results = contests.map(() => ({ subject: [] as Measured[], floor: [] as Measured[] }));
    // One untimed warm-up round (page cache, libvips' first load).
    for (const c of contests) {
      await runMeasured(process.execPath, c.subject);
      await runMeasured(process.execPath, c.floor);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [i, c] of contests.entries()) {
        const first = r % 2 === 0;
        const a = await runMeasured(process.execPath, first ? c.subject : c.floor);
        const b = await runMeasured(process.execPath, first ? c.floor : c.subject);
        results[i]!.subject.push(first ? a : b);
        results[i]!.floor.push(first ? b : a);
      }
    }
    const rows = contests.map((c, i) => {
      const s = results[i]!.subject;
      const f = results[i]!.floor;
      const sMs = median(s.map((m) => m.ms));
      const fMs = median(f.map((m) => m.ms));
      const goal =
        c.goal === undefined
          ? ''
          : c.goal.kind === 'ms'
            ? `<= ${c.goal.limitMs} ms ${sMs <= c.goal.limitMs ? '✔' : '✘'}`
            : `<= ${c.goal.limit}x the floor ${sMs / fMs <= c.goal.limit ? '✔' : '✘'}`;
      return [
        c.label,
        `${num(sMs, 0)} (${num(median(s.map((m) => m.cpuMs)), 0)})`,
        num(Math.min(...s.map((m) => m.ms)), 0),
        c.floorLabel,
        `${num(fMs, 0)} (${num(median(f.map((m) => m.cpuMs)), 0)})`,
        `${num(sMs / fMs, 2)}x`,
        goal,
      ];
    });
    printTable(
      `bench:cli — ${rounds} rounds, whole processes, median wall ms (CPU ms), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      ['command', 'median (CPU)', 'best', 'floor', 'floor median (CPU)', 'ratio', 'goal'],
      rows,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
