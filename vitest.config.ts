// Test projects: unit (pure and single-process, test/sim included), process (real OS processes
// sharing a temp drive, test/process/cluster for multi-instance clusters), browser (real Chromium),
// faults (the fault harness, the crash points included), soak (`npm run test:soak`: the short soak,
// the crash points again, and tests held out of `npm test` while a finding is open).
// Every project first builds dist/ (test/build-dist.ts): the processes the tests spawn run
// `node bin/darkroom.js`, i.e. the compiled sources.
import { defineConfig } from 'vitest/config';

const globalSetup = ['test/build-dist.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          globalSetup,
          include: ['test/**/*.test.ts'],
          exclude: ['test/process/**', 'test/browser/**', 'test/faults/**', 'node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'process',
          globalSetup,
          include: ['test/process/**/*.test.ts'],
          exclude: ['node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          globalSetup,
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          globalSetup,
          include: ['test/faults/**/*.test.ts'],
          // The short soak: `npm run test:soak` while a finding is open (session 6, seed 144: a
          // torn batch moved aside by a lock holder paused past the stale time is never recorded;
          // docs/reliability.md "Results").
          exclude: ['test/faults/soak.test.ts', 'node_modules/**'],
          testTimeout: 300_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        // `npm run test:soak`: the short soak (a finding open, docs/reliability.md), the crash points
        // (also in `faults`: 3 of 3 runs clean under load since session 5) and lease-reads until its
        // finding is diagnosed.
        test: {
          name: 'soak',
          globalSetup,
          include: ['test/faults/soak.test.ts', 'test/faults/crash-points.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
