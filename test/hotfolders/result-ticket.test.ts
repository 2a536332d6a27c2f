// Result tickets: written next to the output, well-formed, escaped, readable by the safe parser.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafeXml } from '../../src/hotfolders/safe-xml.js';
import {
  renderResultTicket,
  resultTicketPath,
  writeResultTicket,
  type JobResult,
} from '../../src/hotfolders/result-ticket.js';
import { tempDir } from './watch-helpers.js';

const result: JobResult = {
  jobId: '20261125T130102Z-3f9a1c2b',
  channel: 'sport',
  reference: 'desk <4711> & "co"',
  image: 'day1/IMG_0001.jpg',
  status: 'completed',
  verdict: { passed: false, reasons: ['colour balance off by 9 ΔE'] },
  outputs: ['/mnt/press/sport/day1/IMG_0001.jpg'],
  original: { action: 'archived', path: '/mnt/hot/sport/originals/day1/IMG_0001.jpg' },
  instance: 'press1',
  attempt: 1,
  finishedAt: '2026-11-25T13:01:03.120Z',
  durationMs: 812,
  log: [
    { at: '2026-11-25T13:01:02.300Z', level: 'info', message: 'taken from the hotfolder' },
    { at: '2026-11-25T13:01:03.100Z', level: 'warn', message: 'no embedded profile; assumed sRGB\u0007' },
  ],
};

describe('result tickets', () => {
  it('are named after the output', () => {
    expect(resultTicketPath('/out/a/IMG_1.jpg')).toBe('/out/a/IMG_1.result.xml');
  });

  it('render as well-formed XML with escaped text', () => {
    const root = parseSafeXml(renderResultTicket(result));
    expect(root.name).toBe('jobResult');
    const child = (name: string) => root.children.find((c) => c.name === name)!;
    expect(child('reference').text).toBe('desk <4711> & "co"');
    expect(child('verdict').attrs['passed']).toBe('false');
    expect(child('outputs').children.map((c) => c.text)).toEqual(result.outputs);
    expect(child('log').children.map((c) => c.text)).toEqual([
      'taken from the hotfolder',
      'no embedded profile; assumed sRGB',
    ]);
  });

  it('are written by a rename, leaving no temp file', async () => {
    const dir = await tempDir('result');
    const path = await writeResultTicket(join(dir, 'IMG_0001.result.xml'), result);
    expect(await readdir(dir)).toEqual(['IMG_0001.result.xml']);
    expect(await readFile(path, 'utf8')).toContain('<status>completed</status>');
  });

  it('refuse a result that does not match the schema', () => {
    expect(() => renderResultTicket({ ...result, status: 'done' as JobResult['status'] })).toThrow();
  });
});
