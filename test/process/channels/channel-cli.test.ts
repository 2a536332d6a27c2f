// `darkroom channel ...` end to end, in-process through main() against temp shared folders:
// add/list/show/set/rm/pause/resume, conflicts naming who and when, history and --at, groups,
// export then import.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendChannelDecision } from '../../../src/channels/channel-admin.js';
import { decideChannelChange } from '../../../src/channels/decide-channel-change.js';
import { isDarkroomError } from '../../../src/errors/darkroom-error.js';
import { EventLog } from '../../../src/events/event-log.js';
import { darkroomProjector } from '../../../src/projections/projector.js';
import { darkroom, darkroomJson, tempShared } from './cli-harness.js';

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

describe('darkroom channel add/list/show/set/rm', () => {
  it('the minimal add creates the channel with default folders under hotfolders/NAME and makes them', async () => {
    const shared = await tempShared();
    const r = await darkroom([
      'channel',
      'add',
      'press',
      '--type',
      'process',
      '--output',
      'out/press',
      '--shared',
      shared,
    ]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/channel press created, revision 1 \(seq 1\)/);
    for (const sub of ['in', 'bad', 'originals'])
      expect(await isDir(join(shared, 'hotfolders/press', sub))).toBe(true);
    expect(await isDir(join(shared, 'out/press'))).toBe(true);

    const list = await darkroomJson(['channel', 'list', '--shared', shared]);
    expect(list.channels).toEqual([
      {
        name: 'press',
        type: 'process',
        state: 'active',
        revision: 1,
        input: 'hotfolders/press/in',
        output: 'out/press',
        updated: expect.objectContaining({ by: 'cli:ann', seq: 1 }),
      },
    ]);
    const human = await darkroom(['channel', 'list', '--shared', shared]);
    expect(human.out.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+STATE\s+GROUP\s+REV\s+INPUT\s+OUTPUT$/);
    expect(human.out).toMatch(/press\s+process\s+active\s+-\s+1\s+hotfolders\/press\/in\s+out\/press/);

    const show = await darkroomJson(['channel', 'show', 'press', '--shared', shared]);
    expect(show.channel.settings).toMatchObject({
      type: 'process',
      priority: 50,
      badDir: 'hotfolders/press/bad',
    });
    expect(show.folders.inputDir).toBe(join(shared, 'hotfolders/press/in'));
  });

  it('set changes settings by --set (JSON values) and --file patch, naming the changed paths', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir']);
    const set = await darkroom([
      'channel',
      'set',
      'press',
      '--set',
      'priority=80',
      '--set',
      'pipeline.output.jpegQuality=70',
      '--set',
      'skipPattern=*.txt',
      '--shared',
      shared,
    ]);
    expect(set).toMatchObject({ code: 0, err: '' });
    expect(set.out).toMatch(/revision 2: pipeline.output.jpegQuality, priority, skipPattern/);
    const patch = join(shared, 'patch.json');
    await writeFile(
      patch,
      JSON.stringify({ workflow: 'rejected-to-review', stamp: { whenAlreadyProcessed: 'process' } }),
    );
    expect((await darkroom(['channel', 'set', 'press', '--file', patch, '--shared', shared])).code).toBe(0);
    const show = await darkroomJson(['channel', 'show', 'press', '--shared', shared]);
    expect(show.channel.revision).toBe(3);
    expect(show.channel.settings).toMatchObject({
      priority: 80,
      skipPattern: '*.txt',
      workflow: 'rejected-to-review',
      stamp: { whenAlreadyProcessed: 'process' },
      pipeline: { output: { jpegQuality: 70 } },
    });
    const same = await darkroom(['channel', 'set', 'press', '--set', 'priority=80', '--shared', shared]);
    expect(same.out).toMatch(/no change/);
  });

  it('refuses bad settings naming the field path, and an unknown key, writing nothing', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir']);
    const bad = await darkroom([
      'channel',
      'set',
      'press',
      '--set',
      'pipeline.output.jpegQuality=101',
      '--shared',
      shared,
    ]);
    expect(bad.code).toBe(65);
    expect(bad.err).toMatch(
      /E_SETTINGS_INVALID: .*channel press: pipeline\.output\.jpegQuality: must be <= 100/,
    );
    const unknown = await darkroom([
      'channel',
      'add',
      'web',
      '--type',
      'process',
      '--set',
      'colour=red',
      '--shared',
      shared,
    ]);
    expect(unknown.err).toMatch(/channel web: colour: unknown setting/);
    const noType = await darkroom(['channel', 'add', 'web', '--shared', shared]);
    expect(noType.code).toBe(2);
    const dup = await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared]);
    expect(dup.err).toMatch(/E_CHANNEL_EXISTS/);
    const list = await darkroomJson(['channel', 'list', '--shared', shared]);
    expect(list).toMatchObject({ seq: 1, channels: [{ name: 'press', revision: 1 }] });
  });

  it('adds from a --file with routing and purging types', async () => {
    const shared = await tempShared();
    const file = join(shared, 'router.json');
    await writeFile(
      file,
      JSON.stringify({
        type: 'routing',
        rules: [{ when: { formats: ['tiff'] }, to: { channel: 'print' } }],
        otherwise: { folder: '/tmp/x' },
      }),
    );
    expect(
      (await darkroom(['channel', 'add', 'router', '--file', file, '--shared', shared, '--no-mkdir'])).code,
    ).toBe(0);
    const purge = await darkroom([
      'channel',
      'add',
      'sweep',
      '--type',
      'purging',
      '--folder',
      'archive',
      '--set',
      'rules={"maxFiles":100}',
      '--shared',
      shared,
    ]);
    expect(purge).toMatchObject({ code: 0, err: '' });
    const list = await darkroomJson(['channel', 'list', '--shared', shared]);
    expect(
      list.channels.map((c: { name: string; type: string; input?: string }) => [c.name, c.type, c.input]),
    ).toEqual([
      ['router', 'routing', 'hotfolders/router/in'],
      ['sweep', 'purging', 'archive'],
    ]);
  });

  it('rm deletes a channel; the name is then unknown', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir']);
    expect((await darkroom(['channel', 'rm', 'press', '--shared', shared])).out).toMatch(
      /channel press deleted/,
    );
    const show = await darkroom(['channel', 'show', 'press', '--shared', shared]);
    expect(show.code).toBe(65);
    expect(show.err).toMatch(/E_CHANNEL_UNKNOWN: no channel named press/);
  });

  it('refuses a shared folder that does not exist instead of creating an empty log', async () => {
    const shared = await tempShared();
    for (const args of [
      ['channel', 'list'],
      ['channel', 'history', 'press'],
      ['channel', 'show', 'press', '--at', '3'],
    ]) {
      const r = await darkroom([...args, '--shared', join(shared, 'typo')]);
      expect(r.code).toBe(74);
      expect(r.err).toMatch(
        /E_LOG_UNREACHABLE: cannot reach the log at .*typo: the folder does not exist; is the share mounted at .*typo\?/,
      );
    }
    expect(await isDir(join(shared, 'typo'))).toBe(false);
  });

  it('takes the shared drive from --conf FILE', async () => {
    const dir = await tempShared();
    const conf = join(dir, 'ClaroServers.conf');
    const init = await darkroom([
      'conf',
      'init',
      '--out',
      conf,
      '--shared',
      'drive',
      '--server',
      'a@127.0.0.1:7900:7901',
    ]);
    expect(init.code).toBe(0);
    expect(await isDir(join(dir, 'drive/log'))).toBe(true);
    expect((await darkroom(['channel', 'add', 'press', '--type', 'process', '--conf', conf])).code).toBe(0);
    expect(await isDir(join(dir, 'drive/hotfolders/press/in'))).toBe(true);
    const list = await darkroomJson(['channel', 'list', '--shared', join(dir, 'drive')]);
    expect(list.channels.map((c: { name: string }) => c.name)).toEqual(['press']);
    expect((await darkroom(['channel', 'list', '--conf', conf, '--shared', dir])).code).toBe(2);
  });
});

describe('darkroom channel: concurrent edits', () => {
  it('an edit against an old revision is refused, naming who changed the channel and when', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir'], 'ann');
    const read = await darkroomJson(['channel', 'show', 'press', '--shared', shared], 'ann');
    expect(read.channel.revision).toBe(1);
    await darkroom(['channel', 'set', 'press', '--set', 'priority=10', '--shared', shared], 'bob');
    const bobs = await darkroomJson(['channel', 'show', 'press', '--shared', shared]);
    const mine = await darkroom(
      [
        'channel',
        'set',
        'press',
        '--set',
        'priority=90',
        '--revision',
        String(read.channel.revision),
        '--shared',
        shared,
      ],
      'ann',
    );
    expect(mine.code).toBe(75);
    expect(mine.err).toContain(
      `E_CHANNEL_CONFLICT: channel press was changed by cli:bob at ${bobs.channel.updated.ts} (revision 2, you edited 1)`,
    );
    expect(
      (await darkroomJson(['channel', 'show', 'press', '--shared', shared])).channel.settings.priority,
    ).toBe(10);
  });

  it('a decision made before another writer appended is refused by the log and reported as a conflict', async () => {
    const shared = await tempShared();
    const open = (by: string) =>
      EventLog.open({
        sharedDir: shared,
        writer: { by, inc: 0 },
        projector: darkroomProjector,
        snapshotEvery: 0,
      });
    const ann = await open('cli:ann');
    const bob = await open('cli:bob');
    try {
      await appendChannelDecision(
        ann,
        decideChannelChange(ann.state, { kind: 'create', channel: 'press', settings: { type: 'process' } }),
      );
      await bob.catchUp();
      const annDecision = decideChannelChange(ann.state, {
        kind: 'update',
        channel: 'press',
        patch: { priority: 90 },
      });
      const [bobRecord] = await appendChannelDecision(
        bob,
        decideChannelChange(bob.state, { kind: 'update', channel: 'press', patch: { priority: 10 } }),
      );
      const err = await appendChannelDecision(ann, annDecision).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDarkroomError(err, 'E_CHANNEL_CONFLICT')).toBe(true);
      expect((err as Error).message).toBe(
        `channel press was changed by cli:bob at ${bobRecord!.ts} (revision 2, you edited 1)`,
      );
      const create = decideChannelChange(bob.state, {
        kind: 'create',
        channel: 'web',
        settings: { type: 'process' },
      });
      await appendChannelDecision(
        ann,
        decideChannelChange(ann.state, { kind: 'create', channel: 'web', settings: { type: 'process' } }),
      );
      await expect(appendChannelDecision(bob, create)).rejects.toThrow(/a channel named web already exists/);
    } finally {
      await ann.stop();
      await bob.stop();
    }
  });
});

describe('darkroom channel: history, --at, groups', () => {
  it('history lists who changed what; show --at SEQ and --at TIME give the channel as it was', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir'], 'ann');
    await darkroom(['channel', 'set', 'press', '--set', 'priority=70', '--shared', shared], 'bob');
    await darkroom(['channel', 'pause', 'press', '--reason', 'press run', '--shared', shared], 'bob');
    await darkroom(
      ['channel', 'set', 'press', '--set', 'priority=20', '--set', 'group=news', '--shared', shared],
      'cid',
    );

    const history = (await darkroom(['channel', 'history', 'press', '--shared', shared, '--json'])).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(history.map((h) => [h.seq, h.by, h.type, h.revision])).toEqual([
      [1, 'cli:ann', 'ChannelCreated', 1],
      [2, 'cli:bob', 'ChannelUpdated', 2],
      [3, 'cli:bob', 'ChannelPaused', 2],
      [4, 'cli:cid', 'ChannelUpdated', 3],
    ]);
    expect(history[3].changes).toEqual([
      { path: 'group', after: 'news' },
      { path: 'priority', before: 70, after: 20 },
    ]);
    const human = await darkroom(['channel', 'history', 'press', '--shared', shared]);
    expect(human.out).toMatch(/seq 2 .* cli:bob {2}ChannelUpdated -> revision 2\n {4}priority: 50 -> 70/);
    expect(human.out).toMatch(/ChannelPaused: press run/);

    const atSeq = await darkroomJson(['channel', 'show', 'press', '--at', '2', '--shared', shared]);
    expect(atSeq).toMatchObject({
      seq: 2,
      channel: { revision: 2, paused: false, settings: { priority: 70 } },
    });
    const time = history[2].ts as string;
    const atTime = await darkroomJson(['channel', 'show', 'press', '--at', time, '--shared', shared]);
    expect(atTime).toMatchObject({
      seq: 3,
      channel: { revision: 2, paused: true, pauseReason: 'press run' },
    });
    const before = await darkroom([
      'channel',
      'show',
      'press',
      '--at',
      '2000-01-01T00:00:00Z',
      '--shared',
      shared,
    ]);
    expect(before.err).toMatch(/no channel named press at 2000-01-01T00:00:00Z \(seq 0\)/);
    const bad = await darkroom(['channel', 'show', 'press', '--at', 'yesterday', '--shared', shared]);
    expect(bad.code).toBe(2);
  });

  it('lists, pauses and resumes a whole group', async () => {
    const shared = await tempShared();
    for (const [name, group] of [
      ['a', 'news'],
      ['b', 'news'],
      ['c', 'ads'],
    ] as const) {
      await darkroom([
        'channel',
        'add',
        name,
        '--type',
        'process',
        '--group',
        group,
        '--shared',
        shared,
        '--no-mkdir',
      ]);
    }
    const news = await darkroomJson(['channel', 'list', '--group', 'news', '--shared', shared]);
    expect(news.channels.map((c: { name: string }) => c.name)).toEqual(['a', 'b']);
    const paused = await darkroom([
      'channel',
      'pause',
      '--group',
      'news',
      '--reason',
      'night',
      '--shared',
      shared,
    ]);
    expect(paused.out).toMatch(/paused: a, b/);
    const all = await darkroomJson(['channel', 'list', '--shared', shared]);
    expect(
      all.channels.map(
        (c: { name: string; state: string; reason?: string }) => `${c.name}:${c.state}:${c.reason ?? ''}`,
      ),
    ).toEqual(['a:paused:night', 'b:paused:night', 'c:active:']);
    expect((await darkroom(['channel', 'resume', '--group', 'news', '--shared', shared])).out).toMatch(
      /resumed: a, b/,
    );
    expect((await darkroom(['channel', 'resume', '--group', 'news', '--shared', shared])).out).toMatch(
      /no change/,
    );
    expect((await darkroom(['channel', 'pause', 'a', '--group', 'news', '--shared', shared])).code).toBe(2);
  });
});

describe('darkroom channel export/import', () => {
  it('export then import into a fresh shared folder gives equal channels; a second import changes nothing', async () => {
    const from = await tempShared();
    await darkroom([
      'channel',
      'add',
      'press',
      '--type',
      'process',
      '--group',
      'news',
      '--set',
      'priority=70',
      '--shared',
      from,
    ]);
    await darkroom([
      'channel',
      'add',
      'web',
      '--type',
      'process',
      '--output',
      '/srv/web/out',
      '--shared',
      from,
      '--no-mkdir',
    ]);
    await darkroom([
      'channel',
      'add',
      'sweep',
      '--type',
      'purging',
      '--folder',
      'archive',
      '--set',
      'rules={"olderThanMs":86400000}',
      '--shared',
      from,
    ]);
    await darkroom(['channel', 'pause', 'web', '--reason', 'site down', '--shared', from]);
    const file = join(from, 'channels.json');
    expect((await darkroom(['channel', 'export', '--out', file, '--shared', from])).code).toBe(0);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc).toMatchObject({ format: 'darkroom-channels', version: 1, seq: 4 });

    const to = await tempShared();
    const dry = await darkroomJson(['channel', 'import', file, '--dry-run', '--shared', to]);
    expect(dry).toMatchObject({
      dryRun: true,
      created: ['press', 'sweep', 'web'],
      paused: ['web'],
      seqs: [],
    });
    expect((await darkroomJson(['channel', 'list', '--shared', to])).channels).toEqual([]);

    const done = await darkroomJson(['channel', 'import', file, '--shared', to]);
    expect(done.created).toEqual(['press', 'sweep', 'web']);
    const pick = (c: { name: string; settings: unknown; paused: boolean; pauseReason?: string }) => ({
      name: c.name,
      settings: c.settings,
      paused: c.paused,
      pauseReason: c.pauseReason,
    });
    const channelsOf = async (shared: string) => {
      const rows = (await darkroomJson(['channel', 'list', '--shared', shared])).channels as {
        name: string;
      }[];
      return Promise.all(
        rows.map(async (r) =>
          pick((await darkroomJson(['channel', 'show', r.name, '--shared', shared])).channel),
        ),
      );
    };
    expect(await channelsOf(to)).toEqual(await channelsOf(from));
    expect(await isDir(join(to, 'hotfolders/press/in'))).toBe(true);

    const again = await darkroomJson(['channel', 'import', file, '--shared', to]);
    expect(again).toMatchObject({ created: [], updated: [], unchanged: ['press', 'sweep', 'web'], seqs: [] });
  });

  it('import of a missing file is an input-file error (E_INPUT_FILE_UNREADABLE, exit 66), not a conf error', async () => {
    const shared = await tempShared();
    const r = await darkroom(['channel', 'import', join(shared, 'nope.json'), '--shared', shared]);
    expect(r.code).toBe(66);
    expect(r.err).toMatch(/E_INPUT_FILE_UNREADABLE: cannot read the input file .*nope\.json/);
  });

  it('import updates changed channels under revision conditions and leaves others alone', async () => {
    const shared = await tempShared();
    await darkroom(['channel', 'add', 'press', '--type', 'process', '--shared', shared, '--no-mkdir']);
    await darkroom(['channel', 'add', 'web', '--type', 'process', '--shared', shared, '--no-mkdir']);
    const file = join(shared, 'channels.json');
    await darkroom(['channel', 'export', '--out', file, '--shared', shared]);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.channels = doc.channels.filter((c: { name: string }) => c.name === 'press');
    doc.channels[0].settings.priority = 99;
    await writeFile(file, JSON.stringify(doc));
    const r = await darkroom(['channel', 'import', file, '--shared', shared]);
    expect(r.out).toMatch(/updated: press \(priority\)/);
    expect(r.out).toMatch(/left alone \(not in the file\): web/);
    expect((await darkroomJson(['channel', 'show', 'press', '--shared', shared])).channel).toMatchObject({
      revision: 2,
      settings: { priority: 99 },
    });

    doc.channels[0].settings.priority = 101;
    await writeFile(file, JSON.stringify(doc));
    const bad = await darkroom(['channel', 'import', file, '--shared', shared]);
    expect(bad.err).toMatch(/channels\.json: channel press: priority: must be <= 100/);
  });
});
