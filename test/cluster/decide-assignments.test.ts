// decideAssignments: submitted jobs to live instances with free slots, by priority, fairly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AHEAD_PER_SLOT, decideAssignments } from '../../src/cluster/decide-assignments.js';
import type { ProjectionState } from '../../src/projections/state.js';
import { cli, given, Scenario, type Writer } from '../projections/scenario.js';

/** Slots only, nothing assigned ahead (the default): the tests of slot filling, priority and fairness. */
const slotsOnly = { aheadPerSlot: 0 };
/** One job ahead per slot. */
const ahead = { aheadPerSlot: 1 };

const coord = (s: Scenario, w: Writer) => ({ instanceId: w.by, inc: w.inc, term: s.state.cluster.term });

/** Who got what: "jobId->instanceId" in event order. */
function assigned(state: ProjectionState, w: Writer): string[] {
  const d = decideAssignments(state, { instanceId: w.by, inc: w.inc, term: state.cluster.term }, slotsOnly);
  return d.events.map((e) => `${e.data.jobId}->${e.data.instanceId}`);
}

function cluster(s: Scenario, slots = 2): { a: Writer; b: Writer } {
  const a = s.start('a', slots);
  const b = s.start('b', slots);
  s.elect(a);
  return { a, b };
}

describe('decideAssignments: slots', () => {
  it('fills free slots, roomiest instance first, with conditions for exactly the facts read', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s));
      s.channel('press');
      for (const id of ['j1', 'j2', 'j3', 'j4', 'j5']) s.submit(id, 'press');
    });
    const d = decideAssignments(s.state, coord(s, a), slotsOnly);
    expect(d.events).toEqual([
      { type: 'JobAssigned', data: { jobId: 'j1', instanceId: 'a', inc: 1, attempt: 1 } },
      { type: 'JobAssigned', data: { jobId: 'j2', instanceId: 'b', inc: 2, attempt: 1 } },
      { type: 'JobAssigned', data: { jobId: 'j3', instanceId: 'a', inc: 1, attempt: 1 } },
      { type: 'JobAssigned', data: { jobId: 'j4', instanceId: 'b', inc: 2, attempt: 1 } },
    ]);
    expect(d.conditions).toEqual([
      { kind: 'coordinator', instanceId: 'a', inc: 1, term: 1 },
      ...['j1', 'j2', 'j3', 'j4'].map((jobId) => ({
        kind: 'jobState',
        jobId,
        states: ['submitted'],
        attempt: 0,
      })),
      { kind: 'incarnation', instanceId: 'a', inc: 1 },
      { kind: 'incarnation', instanceId: 'b', inc: 2 },
    ]);
  });

  it('once appended, all apply, and the next decision assigns nothing until a slot frees', () => {
    let a!: Writer;
    let b!: Writer;
    const s = given((s) => {
      ({ a, b } = cluster(s));
      s.channel('press');
      for (const id of ['j1', 'j2', 'j3', 'j4', 'j5']) s.submit(id, 'press');
    });
    const d = decideAssignments(s.state, coord(s, a), slotsOnly);
    expect(s.append(a, d.events, d.conditions)).toBeUndefined();
    expect(s.state.meta.ignored.size).toBe(0);
    expect(decideAssignments(s.state, coord(s, a), slotsOnly).events).toEqual([]);
    s.started(b, 'j2');
    expect(decideAssignments(s.state, coord(s, a), slotsOnly).events).toEqual([]);
    s.completed(b, 'j2');
    expect(assigned(s.state, a)).toEqual(['j5->b']);
  });

  it('a decision whose job moved on meanwhile is refused as a whole', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s));
      s.channel('press');
      s.submit('j1', 'press');
      s.submit('j2', 'press');
    });
    const d = decideAssignments(s.state, coord(s, a), slotsOnly);
    s.write(cli, { type: 'JobCancelled', data: { jobId: 'j2', by: 'ann', reason: 'oops' } });
    expect(s.append(a, d.events, d.conditions)?.condition).toEqual({
      kind: 'jobState',
      jobId: 'j2',
      states: ['submitted'],
      attempt: 0,
    });
    expect(s.state.jobs.all.get('j1')?.state).toBe('submitted');
  });

  it('a released job is offered again at its next attempt', () => {
    let a!: Writer;
    let b!: Writer;
    const s = given((s) => {
      ({ a, b } = cluster(s, 1));
      s.channel('press');
      s.submit('j1', 'press');
      s.assign(a, 'j1', b);
      s.released(b, 'j1');
    });
    const d = decideAssignments(s.state, coord(s, a), slotsOnly);
    expect(d.events[0]?.data).toMatchObject({ jobId: 'j1', attempt: 2 });
    expect(d.conditions).toContainEqual({ kind: 'jobState', jobId: 'j1', states: ['submitted'], attempt: 1 });
  });
});

describe('decideAssignments: who gets nothing', () => {
  it('stopping, stopped and lost instances get nothing', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 1));
      const c = s.start('c', 4);
      const d = s.start('d', 4);
      const e = s.start('e', 4);
      s.write(c, { type: 'InstanceStopping', data: { instanceId: 'c', inc: c.inc, reason: 'SIGTERM' } });
      s.write(d, { type: 'InstanceStopped', data: { instanceId: 'd', inc: d.inc } });
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'e', inc: e.inc, reason: 'silent' } });
      s.channel('press');
      for (const id of ['j1', 'j2', 'j3', 'j4']) s.submit(id, 'press');
    });
    expect(assigned(s.state, a)).toEqual(['j1->a', 'j2->b']);
  });

  it('jobs of paused or deleted channels wait; standby channels are served', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 4));
      s.channel('paused');
      s.channel('gone');
      s.channel('standby');
      s.submit('p1', 'paused');
      s.submit('g1', 'gone');
      s.submit('s1', 'standby');
      s.write(cli, { type: 'ChannelPaused', data: { channel: 'paused', reason: 'x' } });
      s.write(cli, { type: 'ChannelDeleted', data: { channel: 'gone', revision: 1 } });
      s.write(a, { type: 'ChannelStandbyEntered', data: { channel: 'standby', reason: 'ENOENT' } });
    });
    expect(assigned(s.state, a)).toEqual(['s1->a']);
  });

  it('nothing for an instance that is not the acting coordinator of the term', () => {
    let a!: Writer;
    let b!: Writer;
    const s = given((s) => {
      ({ a, b } = cluster(s));
      s.channel('press');
      s.submit('j1', 'press');
    });
    expect(decideAssignments(s.state, coord(s, b), slotsOnly)).toEqual({ events: [], conditions: [] });
    expect(decideAssignments(s.state, { instanceId: 'a', inc: a.inc, term: 0 }, slotsOnly).events).toEqual(
      [],
    );
    s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: a.inc, reason: 'SIGTERM' } });
    expect(decideAssignments(s.state, coord(s, a), slotsOnly).events).toEqual([]);
  });
});

describe('decideAssignments: priority and fairness', () => {
  it('a higher-priority channel goes first even when its jobs came later', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 1));
      s.channel('bulk', { priority: 10 });
      s.channel('news', { priority: 90 });
      s.channel('plain');
      s.submit('b1', 'bulk');
      s.submit('p1', 'plain');
      s.submit('n1', 'news');
      s.submit('n2', 'news');
    });
    expect(assigned(s.state, a)).toEqual(['n1->a', 'n2->b']);
  });

  it('lower priorities get what is left, in priority order', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 2));
      s.channel('bulk', { priority: 10 });
      s.channel('news', { priority: 90 });
      s.channel('plain', { priority: 'high' }); // not a number: the default 50
      s.submit('b1', 'bulk');
      s.submit('p1', 'plain');
      s.submit('n1', 'news');
    });
    expect(assigned(s.state, a)).toEqual(['n1->a', 'p1->b', 'b1->a']);
  });

  it('channels of equal priority take turns within one decision', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 3));
      s.channel('big');
      s.channel('small');
      for (let i = 1; i <= 8; i++) s.submit(`b${i}`, 'big');
      s.submit('s1', 'small');
      s.submit('s2', 'small');
    });
    expect(assigned(s.state, a).map((x) => x.split('->')[0])).toEqual(['b1', 's1', 'b2', 's2', 'b3', 'b4']);
  });

  it('across decisions, the channel served least recently goes first', () => {
    let a!: Writer;
    let b!: Writer;
    const s = given((s) => {
      ({ a, b } = cluster(s, 1));
      s.channel('x');
      s.channel('y');
      s.channel('z');
      for (const ch of ['x', 'y', 'z']) for (let i = 1; i <= 3; i++) s.submit(`${ch}${i}`, ch);
    });
    const served: string[] = [];
    for (let round = 0; round < 6; round++) {
      const d = decideAssignments(s.state, coord(s, a), slotsOnly);
      expect(s.append(a, d.events, d.conditions)).toBeUndefined();
      for (const e of d.events) {
        served.push(e.data.jobId);
        const w = e.data.instanceId === 'a' ? a : b;
        s.completed(w, e.data.jobId);
      }
    }
    expect(served).toEqual(['x1', 'y1', 'z1', 'x2', 'y2', 'z2', 'x3', 'y3', 'z3']);
  });
});

/** Jobs held (assigned or processing) per instance id. */
function heldBy(state: ProjectionState): Map<string, number> {
  const held = new Map<string, number>();
  for (const id of state.jobs.open) {
    const job = state.jobs.all.get(id);
    if (job === undefined || (job.state !== 'assigned' && job.state !== 'processing')) continue;
    held.set(job.instanceId!, (held.get(job.instanceId!) ?? 0) + 1);
  }
  return held;
}

describe('decideAssignments: jobs assigned ahead (aheadPerSlot)', () => {
  it('by default assigns one job ahead per slot (AHEAD_PER_SLOT)', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 1));
      s.channel('press');
      for (let i = 1; i <= 6; i++) s.submit(`j${i}`, 'press');
    });
    expect(AHEAD_PER_SLOT).toBe(1);
    // Two instances of one slot each: each runs one and holds one more.
    expect(decideAssignments(s.state, coord(s, a)).events).toHaveLength(4);
    expect(decideAssignments(s.state, coord(s, a), { aheadPerSlot: 0 }).events).toHaveLength(2);
  });

  it('each instance holds one job more per slot than it runs, free slots first', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 2));
      s.channel('press');
      for (let i = 1; i <= 10; i++) s.submit(`j${i}`, 'press');
    });
    const d = decideAssignments(s.state, coord(s, a), ahead);
    // j1-j4 fill the four slots (roomiest first), j5-j8 wait ahead, j9 and j10 wait for room.
    expect(d.events.map((e) => `${e.data.jobId}->${e.data.instanceId}`)).toEqual([
      'j1->a',
      'j2->b',
      'j3->a',
      'j4->b',
      'j5->a',
      'j6->b',
      'j7->a',
      'j8->b',
    ]);
    expect(s.append(a, d.events, d.conditions)).toBeUndefined();
    expect(heldBy(s.state)).toEqual(
      new Map([
        ['a', 4],
        ['b', 4],
      ]),
    );
    expect(decideAssignments(s.state, coord(s, a), ahead).events).toEqual([]);
    s.started(a, 'j1');
    s.completed(a, 'j1');
    expect(assignedAhead(s.state, a)).toEqual(['j9->a']);
  });

  it('a job waits ahead on a busy instance only when no instance has a free slot', () => {
    let a!: Writer;
    const s = given((s) => {
      a = s.start('a', 4);
      s.start('b', 1);
      s.elect(a);
      s.channel('press');
      for (let i = 1; i <= 4; i++) s.submit(`j${i}`, 'press');
      for (let i = 1; i <= 4; i++) s.assign(a, `j${i}`, a);
      s.submit('k1', 'press');
      s.submit('k2', 'press');
    });
    // a runs 4 and may hold 4 more; b's one slot is free: k1 goes to b, then k2 waits ahead on a
    // (room 4) rather than behind k1 on b (room 1).
    expect(assignedAhead(s.state, a)).toEqual(['k1->b', 'k2->a']);
  });

  it('never ahead to a stopping, stopped, lost or unavailable instance', () => {
    let a!: Writer;
    const s = given((s) => {
      ({ a } = cluster(s, 1));
      const c = s.start('c', 4);
      const d = s.start('d', 4);
      const e = s.start('e', 4);
      s.start('f', 4);
      s.write(c, { type: 'InstanceStopping', data: { instanceId: 'c', inc: c.inc, reason: 'SIGTERM' } });
      s.write(d, { type: 'InstanceStopped', data: { instanceId: 'd', inc: d.inc } });
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'e', inc: e.inc, reason: 'silent' } });
      s.channel('press');
      for (let i = 1; i <= 9; i++) s.submit(`j${i}`, 'press');
    });
    const d = decideAssignments(s.state, coord(s, a), { ...ahead, unavailable: new Set(['f']) });
    expect(d.events.map((e) => `${e.data.jobId}->${e.data.instanceId}`)).toEqual([
      'j1->a',
      'j2->b',
      'j3->a',
      'j4->b',
    ]);
  });

  it('property: never more than slots + ahead per instance, only to fit live ones, each job once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.constantFrom('start', 'complete', 'release', 'submit', 'stop', 'stall'), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (slotsOf, ahead, steps, seed) => {
          let rnd = seed;
          const pick = (n: number): number => {
            rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
            return rnd % n;
          };
          const s = new Scenario();
          const ws = slotsOf.map((n, i) => s.start(`i${i}`, n));
          const coordinator = ws[0]!;
          s.elect(coordinator);
          s.channel('press');
          const unavailable = new Set<string>();
          let next = 0;
          for (let k = 0; k < 6; k++) s.submit(`j${next++}`, 'press');
          const decide = (): void => {
            const d = decideAssignments(s.state, coord(s, coordinator), { unavailable, aheadPerSlot: ahead });
            const before = new Map(heldBy(s.state));
            const ids = d.events.map((e) => e.data.jobId);
            expect(new Set(ids).size).toBe(ids.length);
            for (const e of d.events) {
              const view = s.state.cluster.instances.get(e.data.instanceId)!;
              expect(view.status).toBe('started');
              expect(unavailable.has(e.data.instanceId)).toBe(false);
              expect(s.state.jobs.all.get(e.data.jobId)?.state).toBe('submitted');
            }
            expect(s.append(coordinator, d.events, d.conditions)).toBeUndefined();
            for (const [id, n] of heldBy(s.state)) {
              const view = s.state.cluster.instances.get(id)!;
              if ((before.get(id) ?? 0) < n) expect(n).toBeLessThanOrEqual(view.slots * (1 + ahead));
            }
          };
          decide();
          for (const step of steps) {
            const open = [...s.state.jobs.open].map((id) => s.state.jobs.all.get(id)!);
            const assignedJobs = open.filter((j) => j.state === 'assigned');
            const processing = open.filter((j) => j.state === 'processing');
            const writerOf = (id: string): Writer => ws.find((w) => w.by === id)!;
            if (step === 'start' && assignedJobs.length > 0) {
              const j = assignedJobs[pick(assignedJobs.length)]!;
              s.started(writerOf(j.instanceId!), j.jobId);
            } else if (step === 'complete' && processing.length > 0) {
              const j = processing[pick(processing.length)]!;
              s.completed(writerOf(j.instanceId!), j.jobId);
            } else if (step === 'release' && assignedJobs.length > 0) {
              const j = assignedJobs[pick(assignedJobs.length)]!;
              s.released(writerOf(j.instanceId!), j.jobId);
            } else if (step === 'submit') {
              s.submit(`j${next++}`, 'press');
            } else if (step === 'stop' && ws.length > 1) {
              const w = ws[1 + pick(ws.length - 1)]!;
              if (s.state.cluster.instances.get(w.by)?.status === 'started')
                s.write(w, { type: 'InstanceStopping', data: { instanceId: w.by, inc: w.inc, reason: 'x' } });
            } else if (step === 'stall') {
              const w = ws[pick(ws.length)]!;
              if (unavailable.has(w.by)) unavailable.delete(w.by);
              else unavailable.add(w.by);
            }
            decide();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** Who got what with one job ahead per slot. */
function assignedAhead(state: ProjectionState, w: Writer): string[] {
  const d = decideAssignments(state, { instanceId: w.by, inc: w.inc, term: state.cluster.term }, ahead);
  return d.events.map((e) => `${e.data.jobId}->${e.data.instanceId}`);
}
