// The cluster projection: incarnations, instance status, coordinator elections and their fencing.
import { describe, expect, it } from 'vitest';
import { given } from './scenario.js';

describe('cluster projection: instances', () => {
  it('an InstanceStarted makes a started incarnation numbered by its seq', () => {
    const s = given((s) => {
      s.channel('press');
      s.start('a', 3);
    });
    const a = s.state.cluster.instances.get('a');
    expect(a).toMatchObject({ instanceId: 'a', inc: 2, slots: 3, status: 'started', started: { seq: 2 } });
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('a new incarnation of the same id replaces the old one', () => {
    const s = given((s) => {
      s.start('a');
      s.start('a');
    });
    expect(s.state.cluster.instances.get('a')).toMatchObject({ inc: 2, status: 'started' });
    expect(s.state.cluster.instances.size).toBe(1);
  });

  it('stopping, then stopped; a second InstanceStopped is ignored and counted', () => {
    const s = given((s) => {
      const a = s.start('a');
      s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: a.inc, reason: 'SIGTERM' } });
      expect(s.state.cluster.instances.get('a')?.status).toBe('stopping');
      s.write(a, { type: 'InstanceStopped', data: { instanceId: 'a', inc: a.inc } });
      s.write(a, { type: 'InstanceStopped', data: { instanceId: 'a', inc: a.inc } });
    });
    expect(s.state.cluster.instances.get('a')).toMatchObject({ status: 'stopped', updated: { seq: 3 } });
    expect(s.ignored('InstanceStopped')).toBe(1);
  });

  it('an event about an old incarnation is ignored', () => {
    const s = given((s) => {
      const old = s.start('a');
      s.start('a');
      s.write(old, { type: 'InstanceStopped', data: { instanceId: 'a', inc: old.inc } });
    });
    expect(s.state.cluster.instances.get('a')).toMatchObject({ inc: 2, status: 'started' });
    expect(s.ignored('InstanceStopped')).toBe(1);
  });

  it('InstanceLost is accepted only from the coordinator of the current term', () => {
    const s = given((s) => {
      const a = s.start('a');
      const b = s.start('b');
      const c = s.start('c');
      s.elect(a);
      s.write(b, { type: 'InstanceLost', data: { instanceId: 'c', inc: c.inc, reason: 'silent' } });
      expect(s.state.cluster.instances.get('c')?.status).toBe('started');
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'c', inc: c.inc, reason: 'silent' } });
    });
    expect(s.state.cluster.instances.get('c')?.status).toBe('lost');
    expect(s.ignored('InstanceLost')).toBe(1);
  });
});

describe('cluster projection: elections', () => {
  it('the first election makes term 1 with its coordinator', () => {
    const s = given((s) => s.elect(s.start('a')));
    expect(s.state.cluster.term).toBe(1);
    expect(s.state.cluster.coordinator).toMatchObject({
      instanceId: 'a',
      inc: 1,
      term: 1,
      elected: { seq: 2 },
    });
  });

  it('a second election for the same term is ignored: one coordinator per term', () => {
    const s = given((s) => {
      const a = s.start('a');
      const b = s.start('b');
      s.elect(a);
      // b read term 0 and proposed itself for term 1 too: its envelope says term 0.
      s.write(b, { type: 'CoordinatorElected', data: { instanceId: 'b', inc: b.inc, term: 1 } }, 0);
    });
    expect(s.state.cluster.coordinator).toMatchObject({ instanceId: 'a', term: 1 });
    expect(s.ignored('CoordinatorElected')).toBe(1);
  });

  it('a term that skips ahead is ignored', () => {
    const s = given((s) => {
      const a = s.start('a');
      s.write(a, { type: 'CoordinatorElected', data: { instanceId: 'a', inc: a.inc, term: 2 } });
    });
    expect(s.state.cluster.term).toBe(0);
    expect(s.ignored('CoordinatorElected')).toBe(1);
  });

  it('an election written by a third instance is ignored; a handover by the coordinator is accepted', () => {
    const s = given((s) => {
      const a = s.start('a');
      const b = s.start('b');
      const c = s.start('c');
      s.elect(a);
      s.write(c, { type: 'CoordinatorElected', data: { instanceId: 'b', inc: b.inc, term: 2 } });
      expect(s.state.cluster.term).toBe(1);
      s.write(a, { type: 'CoordinatorElected', data: { instanceId: 'b', inc: b.inc, term: 2 } });
    });
    expect(s.state.cluster.coordinator).toMatchObject({ instanceId: 'b', term: 2 });
    expect(s.ignored('CoordinatorElected')).toBe(1);
  });

  it('electing an incarnation that is not started is ignored', () => {
    const s = given((s) => {
      const a = s.start('a');
      s.write(a, { type: 'InstanceStopping', data: { instanceId: 'a', inc: a.inc, reason: 'SIGTERM' } });
      s.elect(a);
    });
    expect(s.state.cluster.term).toBe(0);
  });

  it('a stopped coordinator leaves its term with nobody acting: its coordinator events are ignored', () => {
    const s = given((s) => {
      const a = s.start('a');
      const b = s.start('b');
      s.elect(a);
      s.write(a, { type: 'InstanceStopped', data: { instanceId: 'a', inc: a.inc } });
      s.write(a, { type: 'InstanceLost', data: { instanceId: 'b', inc: b.inc, reason: 'silent' } });
    });
    expect(s.state.cluster.instances.get('b')?.status).toBe('started');
    expect(s.ignored('InstanceLost')).toBe(1);
  });
});
