// `npm run soak -- --seconds N [--seed S] [--instances K] [--kinds a,b] [--keep]`: a seeded random
// mix of faults on real instances under load (test/faults/harness/soak.ts), then heal and check.
// Exits non-zero on any violated invariant; the last line is the one-line summary.
import { parseArgs } from 'node:util';
import { seedOf } from '../test/faults/harness/prng.js';
import { faultKinds, runSoak, type FaultKind } from '../test/faults/harness/soak.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    instances: { type: 'string', default: '3' },
    kinds: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const instances = Number(values.instances);
if (!Number.isFinite(seconds) || seconds <= 0)
  throw new Error(`--seconds must be a positive number, not ${values.seconds}`);
if (!Number.isInteger(instances) || instances < 2 || instances > 7)
  throw new Error(`--instances must be 2..7, not ${values.instances}`);
const kinds = values.kinds?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
for (const k of kinds ?? [])
  if (!faultKinds.includes(k)) throw new Error(`unknown fault kind ${k} (known: ${faultKinds.join(', ')})`);
const seed = seedOf(values.seed);
console.log(`soak seed ${seed} (replay: npm run soak -- --seconds ${seconds} --seed ${seed})`);
const started = performance.now();
const result = await runSoak({
  seconds,
  seed,
  instances,
  ...(kinds !== undefined ? { kinds } : {}),
  keep: values.keep,
  log: (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`),
});
for (const v of result.report.violations) console.log(`VIOLATION ${v.invariant}: ${v.detail}`);
if (result.report.violations.length > 0) console.log(`kept for post-mortem: ${result.root}`);
console.log(result.summary);
process.exitCode = result.report.violations.length > 0 ? 1 : 0;
