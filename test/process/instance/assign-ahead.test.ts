// Assigning ahead with a real `darkroom start` process: an instance holds at most one job more
// per slot than it runs, runs no more than its slots, and a slot that frees starts the job waiting
// for it in the same batch as the outcome (one durable append instead of two in a row).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecords } from '../../../src/events/log-reader.js';
import {
  cli,
  dropSamples,
  fastConf,
  makeDrive,
  outcomes,
  putChannel,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let drive: Drive | undefined;
let inst: RunningInstance | undefined;

afterEach(async () => {
  if (inst !== undefined && inst.child.exitCode === null && inst.child.signalCode === null)
    inst.signal('SIGKILL');
  await inst?.exited;
  inst = undefined;
  await drive?.cleanup();
  drive = undefined;
});

describe('darkroom start with one slot: jobs assigned ahead', () => {
  it('holds at most 2 jobs, runs 1, and starts the next job in the batch of the previous outcome', async () => {
    const d = (drive = await makeDrive(undefined, { ...fastConf, slots: '1' }));
    await putChannel(d.shared, 'press', { type: 'process', fileReadyDelayMs: 200 });
    inst = startInstance(d.conf, 'a');
    await waitFor('instance running', () => inst!.output().includes('running (inc'), 30_000, inst.output);
    await dropSamples(join(d.shared, 'hotfolders', 'press', 'in'), 8);
    await waitFor(
      '8 outcomes',
      async () => (await outcomes(d.shared)).final.size >= 8,
      120_000,
      async () => `${inst!.output().slice(-3000)}\nfinal: ${(await outcomes(d.shared)).final.size}`,
    );
    inst.signal('SIGTERM');
    expect(await inst.exited).toBe(0);

    const held = new Set<string>();
    const processing = new Set<string>();
    let mostHeld = 0;
    let mostProcessing = 0;
    // Batches by file and timestamp (every record of a batch has its batch's ts).
    const batches = new Map<string, { type: string; jobId: string }[]>();
    const seen: string[] = [];
    for await (const e of readRecords(d.shared)) {
      const r = e.record;
      const jobId = (r.data as { jobId?: string }).jobId;
      seen.push(`${r.seq} ${r.type} ${jobId ?? ''}`);
      if (jobId === undefined) continue;
      if (r.type === 'JobAssigned') held.add(jobId);
      if (r.type === 'JobStarted') processing.add(jobId);
      if (r.type === 'JobCompleted' || r.type === 'JobFailed' || r.type === 'JobReleased') {
        held.delete(jobId);
        processing.delete(jobId);
      }
      mostHeld = Math.max(mostHeld, held.size);
      mostProcessing = Math.max(mostProcessing, processing.size);
      const key = `${e.file} ${r.ts}`;
      batches.set(key, [...(batches.get(key) ?? []), { type: r.type, jobId }]);
    }
    const log = seen.join('\n');
    expect(mostProcessing, log).toBe(1);
    expect(mostHeld, log).toBe(2);
    const together = [...batches.values()].filter((b) =>
      b.some(
        (x, i) =>
          x.type === 'JobCompleted' &&
          b.slice(i + 1).some((y) => y.type === 'JobStarted' && y.jobId !== x.jobId),
      ),
    );
    expect(together.length, log).toBeGreaterThan(0);
    const verify = await cli(['log', 'verify', '--conf', d.conf]);
    expect(verify.code, verify.err).toBe(0);
  }, 180_000);
});
