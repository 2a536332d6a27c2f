// The short soak (issue 19): a seeded random mix of faults (SIGKILL, crash points, SIGSTOP of
// workers, the coordinator and the append-lock holder, stalled drive views, restarts in another
// order) on three real instances under a steady load of drops and channel edits; then heal, wait
// for quiescence and check every invariant (test/faults/harness/checkers.ts). The seed is printed;
// replay with DARKROOM_SOAK_SEED=<seed> or `npm run soak -- --seconds N --seed S`.
import { describe, expect, it } from 'vitest';
import { bindfsAvailable } from './harness/bindfs-view.js';
import { seedOf } from './harness/prng.js';
import { runSoak } from './harness/soak.js';

const seconds = Number(process.env['DARKROOM_SOAK_SECONDS'] ?? 45);

describe('soak: random faults on three instances under load', () => {
  it.runIf(bindfsAvailable())(
    'every invariant holds after healing',
    async () => {
      const seed = seedOf(process.env['DARKROOM_SOAK_SEED']);
      console.log(
        `soak seed ${seed} (replay: DARKROOM_SOAK_SEED=${seed} npx vitest run test/faults/soak.test.ts)`,
      );
      const lines: string[] = [];
      const result = await runSoak({
        seconds,
        seed,
        instances: 3,
        quiesceMs: 90_000,
        log: (l) => lines.push(l),
      });
      console.log(result.summary);
      const detail = result.report.violations.map((v) => `${v.invariant}: ${v.detail}`).join('\n');
      expect(
        result.report.violations,
        `${result.summary}\n${detail}\nkept: ${result.root}\n${lines.slice(-40).join('\n')}`,
      ).toEqual([]);
      // The run must have exercised something: operations and faults happened.
      expect(result.operations['drop ok'] ?? 0).toBeGreaterThan(20);
      expect(Object.values(result.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    },
    420_000,
  );
});
