// Liveness: which heartbeats speak for an incarnation. A starting instance beats with inc 0 (a
// rejoining one with its lost incarnation) until its InstanceStarted is acknowledged; those beats
// from the process that wrote it keep it alive, beats from another process do not.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { Beat } from '../../src/cluster/peer-messages.js';
import { createLogger } from '../../src/logger.js';
import { Liveness } from '../../src/instance/liveness.js';
import { given } from '../projections/scenario.js';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return { now: () => t, wallTime: () => new Date(0), advance: (ms) => (t += ms) };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function beat(over: Partial<Beat>): Beat {
  return {
    instanceId: 'b',
    inc: 0,
    status: 'starting',
    term: 1,
    coordinator: false,
    seq: 0,
    slots: 2,
    running: 0,
    load: 0,
    confHash: 'c0',
    storage: { lastOkAgeMs: 0, stalled: false },
    pid: 1,
    host: 'localhost',
    ...over,
  };
}

async function liveness(clock: Clock): Promise<Liveness> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-liveness-'));
  dirs.push(dir);
  return new Liveness({
    sharedDir: dir,
    instanceId: 'a',
    clock,
    heartbeatMs: 100,
    failureTimeoutMs: 1000,
    logger: createLogger({ level: 'silent' }),
    beat: () => beat({ instanceId: 'a' }),
    inc: () => 1,
    peers: () => [],
  });
}

describe('Liveness.judgements of an instance still joining', () => {
  it('beats with inc 0 from the process that wrote the InstanceStarted keep that incarnation alive', async () => {
    const clock = fakeClock();
    const s = given((g) => g.elect(g.start('a')));
    const b = s.start('b');
    const view = s.state.cluster.instances.get('b')!;
    const l = await liveness(clock);
    expect(l.judgements(s.state).get('b')).toBe('alive');
    for (let i = 0; i < 15; i++) {
      clock.advance(100);
      l.heard('b', beat({ inc: 0, pid: view.pid, host: view.host }));
    }
    expect(l.judgements(s.state).get('b')).toBe('alive');
    expect(l.observations(s.state).get('b')?.inc).toBe(b.inc);
  });

  it('beats with inc 0 from another process do not: silent after the failure timeout', async () => {
    const clock = fakeClock();
    const s = given((g) => g.elect(g.start('a')));
    s.start('b');
    const view = s.state.cluster.instances.get('b')!;
    const l = await liveness(clock);
    expect(l.judgements(s.state).get('b')).toBe('alive');
    for (let i = 0; i < 15; i++) {
      clock.advance(100);
      l.heard('b', beat({ inc: 0, pid: view.pid + 1, host: view.host }));
    }
    expect(l.judgements(s.state).get('b')).toBe('silent');
  });

  it('beats of a later incarnation never speak for an earlier one', async () => {
    const clock = fakeClock();
    const s = given((g) => g.elect(g.start('a')));
    s.start('b');
    const view = s.state.cluster.instances.get('b')!;
    const l = await liveness(clock);
    l.judgements(s.state);
    for (let i = 0; i < 15; i++) {
      clock.advance(100);
      l.heard('b', beat({ inc: view.inc + 5, pid: view.pid, host: view.host }));
    }
    expect(l.judgements(s.state).get('b')).toBe('silent');
  });
});
