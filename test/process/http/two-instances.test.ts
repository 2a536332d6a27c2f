// Two real instances (`darkroom start`) on one shared drive: an image submitted through A with
// `darkroom submit` is downloaded through B; B's live stream delivers the events A and the
// worker appended; when A stops, its stream says bye and the client resumes on B from its last id.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  makeDrive,
  smallSamples,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';
import { freePorts } from '../../support/free-ports.js';
import { fastConf } from '../../fixtures/instance-drive.js';

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A live stream read with fetch: events as they come, and whether the server ended it. */
function openStream(url: string, token: string, lastEventId?: number) {
  const events: SseEvent[] = [];
  let ended = false;
  const ac = new AbortController();
  const done = (async () => {
    const res = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
      },
      signal: ac.signal,
    });
    if (res.status !== 200 || res.body === null) throw new Error(`stream: HTTP ${res.status}`);
    let buf = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: SseEvent = { event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) e.id = line.slice(4);
          else if (line.startsWith('event: ')) e.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            e.data += line.slice(6);
            hasData = true;
          }
        }
        if (hasData) events.push(e);
      }
    }
    ended = true;
  })().catch((err: unknown) => {
    // Closed by us, or the server went away: the test judges by `events` and `ended`.
    failure = err;
  });
  let failure: unknown;
  return { events, ended: () => ended, failure: () => failure, close: () => ac.abort(), done };
}

let drive: Drive;
let a: RunningInstance | undefined;
let b: RunningInstance | undefined;
let urlA = '';
let urlB = '';
let token = '';

beforeAll(async () => {
  const [p1, p2, p3, p4] = await freePorts(4);
  drive = await makeDrive([`a@127.0.0.1:${p1}:${p2}`, `b@127.0.0.1:${p3}:${p4}`], {
    ...fastConf,
    slots: '1',
  });
  urlA = `http://127.0.0.1:${p2}`;
  urlB = `http://127.0.0.1:${p4}`;
  await mkdir(drive.shared, { recursive: true });
  expect((await cli(['channel', 'add', 'news', '--type', 'process', '--conf', drive.conf])).code).toBe(0);
  const add = await new Promise<number>((resolve) => {
    // `user add` reads the password from stdin.
    void import('node:child_process').then(({ spawn }) => {
      const child = spawn(
        process.execPath,
        ['bin/darkroom.js', 'user', 'add', 'ops', '--role', 'operator', '--conf', drive.conf],
        {
          cwd: new URL('../../..', import.meta.url).pathname,
          stdio: ['pipe', 'ignore', 'inherit'],
        },
      );
      child.stdin.end('ops-password-1\n');
      child.on('exit', (code) => resolve(code ?? -1));
    });
  });
  expect(add).toBe(0);
  const t = await cli(['token', 'create', '--user', 'ops', '--conf', drive.conf]);
  expect(t.code).toBe(0);
  token = t.out.trim();
  expect(token).toMatch(/^drk_[0-9a-f]{12}_/);
  a = startInstance(drive.conf, 'a');
  b = startInstance(drive.conf, 'b');
  for (const [url, inst] of [
    [urlA, a],
    [urlB, b],
  ] as const) {
    await waitFor(
      `${url}/readyz`,
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      60_000,
      () => inst.output(),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const inst of [a, b]) {
    if (inst !== undefined && inst.child.exitCode === null) {
      inst.signal('SIGKILL');
      await inst.exited;
    }
  }
  await drive.cleanup();
});

describe('HTTP across two instances', () => {
  it('submit through A, download through B; B streams the events; A stopping ends its stream and B resumes it', async () => {
    const onB = openStream(`${urlB}/api/events/stream`, token);
    const onA = openStream(`${urlA}/api/events/stream`, token);
    const [sample] = await smallSamples();
    const submit = await cli([
      'submit',
      sample!,
      '--channel',
      'news',
      '--server',
      urlA,
      '--token',
      token,
      '--json',
    ]);
    expect(submit.code, submit.err).toBe(0);
    const { id } = JSON.parse(submit.out.trim()) as { id: string };

    const job = await waitFor(
      'job completed (seen through B)',
      async () => {
        const r = await fetch(`${urlB}/api/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
        const j = (await r.json()) as { state: string; outputs?: string[] };
        return j.state === 'completed' ? j : undefined;
      },
      60_000,
      () => `${a!.output()}\n${b!.output()}`,
    );
    const res = await fetch(`${urlB}/api/jobs/${id}/result`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(await readFile(join(drive.shared, job.outputs![0]!)))).toBe(true);

    // B's stream saw the submission (appended by A) and the completion, with the job's view.
    const seen = await waitFor("JobCompleted on B's stream", () =>
      onB.events.find(
        (e) =>
          e.event === 'record' &&
          (JSON.parse(e.data) as { type: string; data: { jobId?: string } }).type === 'JobCompleted',
      ),
    );
    const completed = JSON.parse(seen.data) as { seq: number; job: { id: string; state: string } };
    expect(completed.job).toMatchObject({ id, state: 'completed' });
    const submitted = onB.events
      .map((e) => JSON.parse(e.data) as { type: string; by: string })
      .find((r) => r.type === 'JobSubmitted');
    expect(submitted?.by).toBe('a');

    // A stops: its stream gets `bye` and ends; the client resumes on B from its last id.
    await waitFor('A stream caught up', () => onA.events.some((e) => e.id === String(completed.seq)));
    const lastId = Number(onA.events.filter((e) => e.id !== undefined).at(-1)!.id);
    a!.signal('SIGTERM');
    await waitFor(
      'bye on A',
      () => onA.ended(),
      30_000,
      () => a!.output(),
    );
    expect(onA.events.at(-1)?.event).toBe('bye');
    await a!.exited;
    const resumed = openStream(`${urlB}/api/events/stream`, token, lastId);
    const stopping = await waitFor('A stopping, on the resumed stream', () =>
      resumed.events.find((e) => (JSON.parse(e.data) as { type: string }).type === 'InstanceStopped'),
    );
    const ids = resumed.events.filter((e) => e.event === 'record').map((e) => Number(e.id));
    expect(ids[0]).toBe(lastId + 1);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(Number(stopping.id)).toBeGreaterThan(lastId);
    onB.close();
    resumed.close();
  }, 150_000);
});
