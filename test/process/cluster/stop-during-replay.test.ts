// A stop asked for while an instance starts is honoured after every await: SIGTERM during the
// replay of a large log (segments checked in a worker thread) ends the process by itself with
// code 0, no handle left, and without joining the cluster (no InstanceStarted written).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileBytes, segmentName } from '../../../src/events/batch-file.js';
import { sealRecord } from '../../../src/events/record-codec.js';
import { DEFAULT_SEGMENT_RECORDS } from '../../../src/events/segment-pack.js';
import { waitFor } from '../../fixtures/instance-drive.js';
import { makeCluster, type Cluster } from './cluster-harness.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

/** Writes `total` operator notes as packed segments, the way `log pack` leaves them. */
async function largeLog(shared: string, total: number): Promise<void> {
  await mkdir(join(shared, 'log', 'segments'), { recursive: true });
  let prev = '';
  const ts = '2026-12-07T12:00:00.000Z';
  for (let first = 1; first <= total; first += DEFAULT_SEGMENT_RECORDS) {
    const lines: string[] = [];
    const last = Math.min(total, first + DEFAULT_SEGMENT_RECORDS - 1);
    for (let seq = first; seq <= last; seq++) {
      const { record, line } = sealRecord({
        seq,
        ts,
        by: 'cli:test',
        inc: 0,
        term: 0,
        type: 'OperatorNote',
        data: { author: 'test', text: `note ${seq}` },
        prev,
      });
      prev = record.hash;
      lines.push(line);
    }
    await writeFile(
      join(shared, 'log', segmentName(first, last)),
      fileBytes(lines, { count: lines.length, first, last: prev }),
    );
  }
}

describe('SIGTERM while starting', () => {
  it('during the replay of a large log: exits 0 by itself, without joining', async () => {
    const c = (cluster = await makeCluster(['a']));
    await largeLog(c.drive.shared, 300_000);
    const a = c.start('a');
    await waitFor(
      'the replay under way',
      () => a.output().includes('replay: the log is checked in a worker thread'),
      60_000,
      a.output,
    );
    a.signal('SIGTERM');
    expect(await a.exited, a.output().slice(-2000)).toBe(0);
    expect(a.output()).toMatch(/"instance stopped"/);
    expect(a.output()).not.toMatch(/handles keep the process alive/);
    const records = await c.records();
    expect(records).toHaveLength(300_000);
    expect(records.some((r) => r.type === 'InstanceStarted')).toBe(false);
  });
});
