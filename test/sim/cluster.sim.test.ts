// Deterministic simulation of election, failure detection and assignment (test/sim/sim-cluster.ts):
// fast-check draws the scheduler's choices (message orders, drops, pauses, crashes, partitions,
// drive stalls, timer firings); invariants are checked after every step and the cluster must
// settle after healing. Replay a failure with DARKROOM_SIM_SEED=<seed> (and DARKROOM_SIM_PATH).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAILURE_TIMEOUT_MS, HEARTBEAT_MS, SimCluster, excerpt, type Step } from './sim-cluster.js';

/** A node index, or -1: the node of the coordinator the log names (faults there matter most). */
const node = fc.oneof(fc.nat(7), fc.constant(-1));
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      n: node,
      dt: fc.integer({ min: 0, max: 2 * HEARTBEAT_MS }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('freeze' as const), n: node }) },
  { weight: 15, arbitrary: fc.record({ k: fc.constant('deliver' as const), i: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('drop' as const), i: fc.nat(1000) }) },
  {
    weight: 10,
    arbitrary: fc.record({
      k: fc.constant('read' as const),
      n: node,
      part: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 15, arbitrary: fc.record({ k: fc.constant('flush' as const), n: node }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('pause' as const), n: node }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('resume' as const), n: node }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('crash' as const), n: node, torn: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('restart' as const), n: node }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stop' as const), n: node }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cut' as const), a: node, b: node }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mend' as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('stall' as const), n: node }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unstall' as const), n: node }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('submit' as const) }) },
);

const seedFromEnv = process.env['DARKROOM_SIM_SEED'];
const pathFromEnv = process.env['DARKROOM_SIM_PATH'];
const runs = Number(process.env['DARKROOM_SIM_RUNS'] ?? 1500);
/** Fair rounds after healing, in heartbeats: several failure timeouts. */
const settleRounds = Math.ceil((10 * FAILURE_TIMEOUT_MS) / HEARTBEAT_MS);

function params(): fc.Parameters<[number, number[], Step[]]> {
  return {
    numRuns: seedFromEnv !== undefined ? 1 : runs,
    ...(seedFromEnv !== undefined ? { seed: Number(seedFromEnv) } : {}),
    ...(pathFromEnv !== undefined ? { path: pathFromEnv } : {}),
    endOnFailure: seedFromEnv === undefined,
  };
}

/** Runs one simulation; throws with the log excerpt on the first violated invariant. */
function simulate(
  nodes: number,
  steps: readonly Step[],
  keepDown: ReadonlySet<number> = new Set(),
): SimCluster {
  const sim = new SimCluster({ nodes, jobs: 12 });
  for (const s of steps) {
    sim.step(s);
    if (sim.checker.violations.length > 0) {
      throw new Error(
        `after step ${JSON.stringify(s)}: ${sim.checker.violations.join('; ')}\n${excerpt(sim.log.records)}`,
      );
    }
  }
  const unsettled = sim.heal(settleRounds, keepDown);
  if (sim.checker.violations.length > 0)
    throw new Error(`while healing: ${sim.checker.violations.join('; ')}\n${excerpt(sim.log.records)}`);
  if (unsettled !== undefined)
    throw new Error(
      `not settled ${settleRounds} heartbeats after healing: ${unsettled}\n${excerpt(sim.log.records)}`,
    );
  return sim;
}

describe('cluster simulation under random schedules and faults', () => {
  it('one coordinator per term, terms grow, no assignment to a lost incarnation, no double assignment, settles after healing', () => {
    const totals = {
      runs: 0,
      steps: 0,
      records: 0,
      elections: 0,
      assignments: 0,
      ignored: 0,
      refused: 0,
      lost: 0,
      duplicateWork: 0,
    };
    const out = fc.check(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.uniqueArray(fc.nat(4), { maxLength: 2 }),
        fc.array(step, { minLength: 50, maxLength: 300, size: 'max' }),
        (nodes, keepDown, steps) => {
          // Some crashed nodes never come back: failure detection (decideLost) must release their work.
          const sim = simulate(nodes, steps, new Set(keepDown));
          const s = sim.summary();
          totals.runs++;
          totals.steps += s.steps;
          totals.records += s.records;
          totals.elections += s.counts.elections;
          totals.assignments += s.counts.assignments;
          totals.ignored += s.counts.ignored;
          totals.duplicateWork += s.counts.duplicateWork;
          totals.refused += s.counts.refused;
          totals.lost += s.counts.lost;
        },
      ),
      params(),
    );
    if (out.failed) {
      const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(
        `${fc.defaultReportMessage(out)}\n${why}\nreplay: DARKROOM_SIM_SEED=${out.seed} DARKROOM_SIM_PATH=${out.counterexamplePath ?? ''} npx vitest run test/sim`,
      );
    }
    console.log(`sim: ${JSON.stringify(totals)}`);
    // The schedules must exercise what the invariants are about, or the property proves nothing.
    expect(totals.elections).toBeGreaterThan(totals.runs);
    expect(totals.refused).toBeGreaterThan(0);
  });
});

describe('cluster simulation, scripted', () => {
  it('a paused coordinator is replaced; its stale assignments on resume are refused or ignored', () => {
    const sim = new SimCluster({ nodes: 3, jobs: 4 });
    const run = (s: Step, times = 1): void => {
      for (let i = 0; i < times; i++) sim.step(s);
    };
    for (let i = 0; i < 3; i++) run({ k: 'tick', n: i, dt: 0 });
    run({ k: 'flush', n: 0 }); // n0 elected for term 1
    run({ k: 'tick', n: 0, dt: 10 });
    expect(sim.log.tip.cluster.coordinator).toMatchObject({ instanceId: 'n0', term: 1 });
    run({ k: 'submit' }, 2);
    run({ k: 'read', n: 0, part: 1 });
    run({ k: 'tick', n: 0, dt: 10 }); // decides assignments on its view...
    run({ k: 'pause', n: 0 }); // ...and is paused before writing them
    for (let t = 0; t < 12; t++) {
      for (const n of [1, 2]) {
        run({ k: 'read', n, part: 1 });
        run({ k: 'tick', n, dt: HEARTBEAT_MS / 2 });
        run({ k: 'flush', n });
      }
    }
    expect(sim.log.tip.cluster.coordinator).toMatchObject({ instanceId: 'n1', term: 2 });
    run({ k: 'resume', n: 0 });
    run({ k: 'flush', n: 0 }); // the zombie's assignments of term 1
    expect(sim.checker.violations).toEqual([]);
    expect(sim.heal(settleRounds)).toBeUndefined();
    expect(sim.log.tip.jobs.open.size).toBe(0);
  });
});
