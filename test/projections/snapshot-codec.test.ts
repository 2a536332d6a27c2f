// Snapshot codec: JSON-safe, canonical, and round-trips exactly; unreadable content is refused.
import { describe, expect, it } from 'vitest';
import { isDarkroomError } from '../../src/errors/darkroom-error.js';
import { applyRecords } from '../../src/projections/apply-record.js';
import { initialState } from '../../src/projections/initial-state.js';
import { darkroomProjector } from '../../src/projections/projector.js';
import { cli, given, pressCluster } from './scenario.js';

const p = darkroomProjector;
const viaDisk = (json: unknown): unknown => JSON.parse(JSON.stringify(json));

function rich() {
  return given((s) => {
    const { a, b } = pressCluster(s);
    s.channel('web', { priority: 80, nested: { deep: [1, 2, { x: null }] } });
    s.write(cli, { type: 'ChannelPaused', data: { channel: 'web', reason: 'printer' } });
    s.write(cli, { type: 'UserAdded', data: { user: 'ann', role: 'admin' } });
    s.write(cli, { type: 'SettingChanged', data: { key: 'k', value: { on: true } } });
    for (const id of ['j1', 'j2', 'j3', 'j4']) s.submit(id, 'press');
    s.assign(a, 'j1', b);
    s.assign(a, 'j2', a);
    s.completed(b, 'j1');
    s.started(a, 'j2');
    s.assign(a, 'j3', b, 0); // stale term: ignored, counted
    s.write(b, { type: 'InstanceStopping', data: { instanceId: 'b', inc: b.inc, reason: 'SIGTERM' } });
  });
}

describe('snapshot codec', () => {
  it('round-trips exactly through JSON text', () => {
    const s = rich();
    const json = p.toSnapshot(s.state);
    const back = p.fromSnapshot(viaDisk(json));
    expect(JSON.stringify(p.toSnapshot(back))).toBe(JSON.stringify(json));
    expect(viaDisk(json)).toEqual(json);
    expect(back.meta.ignored.get('JobAssigned')).toBe(1);
    expect([...back.jobs.open]).toEqual([...s.state.jobs.open]);
    expect(p.provenance(back)).toEqual({ seq: s.seq, term: 1, hash: `h${s.seq}` });
  });

  it('a decoded state goes on exactly like the original', () => {
    const s = rich();
    const back = p.fromSnapshot(viaDisk(p.toSnapshot(s.state)));
    const a = { by: 'a', inc: 1 };
    s.assign(a, 'j3', a);
    s.submit('j5', 'web');
    const tail = s.records.slice(-2);
    expect(JSON.stringify(p.toSnapshot(applyRecords(back, tail)))).toBe(
      JSON.stringify(p.toSnapshot(s.state)),
    );
  });

  it('decoded views are frozen', () => {
    const back = p.fromSnapshot(viaDisk(p.toSnapshot(rich().state)));
    const web = back.config.channels.get('web');
    expect(Object.isFrozen(web)).toBe(true);
    expect(Object.isFrozen(web?.settings)).toBe(true);
    expect(Object.isFrozen(back.jobs.all.get('j1')?.outputs)).toBe(true);
  });

  it('the same content gives the same JSON whatever order the maps were built in', () => {
    const names = Array.from({ length: 6 }, (_, i) => `user${i}`);
    const users = (order: string[]) =>
      given((s) => {
        for (const user of order) s.write(cli, { type: 'UserAdded', data: { user, role: 'viewer' } });
        s.write(cli, { type: 'UserRemoved', data: { user: 'user3' } });
      });
    const forward = p.toSnapshot(users(names).state) as { config: { users: unknown } };
    const backward = p.toSnapshot(users([...names].reverse()).state) as {
      config: { users: { user: string }[] };
    };
    expect(JSON.stringify(forward.config.users)).toBe(JSON.stringify(backward.config.users));
    expect(backward.config.users.map((u) => u.user)).toEqual(names.filter((n) => n !== 'user3').sort());
  });

  it('an empty state round-trips', () => {
    const json = p.toSnapshot(initialState());
    expect(JSON.stringify(p.toSnapshot(p.fromSnapshot(viaDisk(json))))).toBe(JSON.stringify(json));
  });

  it.each([
    ['not an object', 42],
    ['another format', { format: 'x', version: 1 }],
    ['a newer version', { ...(p.toSnapshot(initialState()) as object), version: 3 }],
    ['an older version', { ...(p.toSnapshot(initialState()) as object), version: 1 }],
    [
      'a missing part',
      { format: 'darkroom-projections', version: 1, meta: { seq: 0, hash: '', ignored: [] } },
    ],
    [
      'an unknown ignored type',
      { ...(p.toSnapshot(initialState()) as object), meta: { seq: 1, hash: 'h', ignored: [['Nope', 1]] } },
    ],
  ])('refuses %s with E_SNAPSHOT_UNREADABLE', (_what, json) => {
    let err: unknown;
    try {
      p.fromSnapshot(json);
    } catch (e) {
      err = e;
    }
    expect(isDarkroomError(err, 'E_SNAPSHOT_UNREADABLE')).toBe(true);
  });

  it('refuses an open job that the job list lacks', () => {
    const json = viaDisk(p.toSnapshot(rich().state)) as { jobs: { open: string[] } };
    json.jobs.open.push('ghost');
    expect(() => p.fromSnapshot(json)).toThrow(/jobs.open names job ghost/);
  });
});
