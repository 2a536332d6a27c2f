// Through a real `darkroom start` process: the generic ticket folder (a ticket names its channel;
// its images go there with the ticket's overrides and IPTC fields, written into the output's
// XMP; an unknown channel or none -> the folder's bad folder with an error naming it), and a
// routing channel deciding on the image's real facts (colour space, EXIF field).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exists,
  listFiles,
  makeDrive,
  outcomes,
  putChannel,
  smallSamples,
  startInstance,
  waitFor,
  type Drive,
  type RunningInstance,
} from '../../fixtures/instance-drive.js';

let d: Drive;
let a: RunningInstance;
const hot = (channel: string, sub: string) => join(d.shared, 'hotfolders', channel, sub);
const ticketsIn = () => join(d.shared, 'hotfolders', '_tickets', 'in');
const ticketsBad = () => join(d.shared, 'hotfolders', '_tickets', 'bad');

const ticket = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<jobTicket version="1">\n${body}\n</jobTicket>\n`;

beforeAll(async () => {
  d = await makeDrive();
  await putChannel(d.shared, 'desk', { type: 'process', fileReadyDelayMs: 200 });
  await putChannel(d.shared, 'sorter', {
    type: 'routing',
    fileReadyDelayMs: 200,
    rules: [
      { name: 'print', when: { colourSpaces: ['cmyk'] }, to: { folder: 'print' } },
      { name: 'canon', when: { fields: [{ field: 'exif.Make', value: 'Canon' }] }, to: { folder: 'canon' } },
      { name: 'wide', when: { minWidthPx: 1000 }, to: { folder: 'wide' } },
    ],
    otherwise: { folder: 'rest' },
  });
  a = startInstance(d.conf, 'a');
  await waitFor('instance running', () => a.output().includes('running (inc'), 30_000, a.output);
});

afterAll(async () => {
  if (a.child.exitCode === null) a.signal('SIGTERM');
  expect(await a.exited).toBe(0);
  await d.cleanup();
});

describe('darkroom start: the generic ticket folder', () => {
  it('submits the images a ticket names to its channel, with its overrides and IPTC fields in the XMP', async () => {
    const [sample] = await smallSamples();
    await waitFor('the ticket folder is created', () => exists(ticketsIn()), 30_000, a.output);
    await copyFile(sample!, join(ticketsIn(), 'g1.jpg'));
    await copyFile(sample!, join(ticketsIn(), 'waiting.jpg'));
    await writeFile(
      join(ticketsIn(), 'order.xml'),
      ticket(
        [
          '  <channel>desk</channel>',
          '  <image>g1.jpg</image>',
          '  <iptc>',
          '    <caption>Smith &amp; Jones &lt;late&gt; "derby"</caption>',
          '    <credit>Agency &amp; Co</credit>',
          '    <keyword>football</keyword>',
          '    <keyword>derby</keyword>',
          '  </iptc>',
          '  <settings><output format="png"/></settings>',
        ].join('\n'),
      ),
    );
    const out = join(hot('desk', 'out'), 'g1.png');
    await waitFor('g1.png published by desk', () => exists(out), 30_000, a.output);
    const xmp = (await sharp(out).metadata()).xmp?.toString('utf8') ?? '';
    expect(xmp).toContain('Smith &amp; Jones &lt;late&gt; &quot;derby&quot;');
    expect(xmp).toContain('<photoshop:Credit>Agency &amp; Co</photoshop:Credit>');
    expect(xmp).toContain(
      '<dc:subject><rdf:Bag><rdf:li>football</rdf:li><rdf:li>derby</rdf:li></rdf:Bag></dc:subject>',
    );
    const { records } = await outcomes(d.shared);
    const sub = records.find((r) => r.type === 'JobSubmitted' && r.data.relPath === 'g1.jpg');
    expect(sub?.type === 'JobSubmitted' ? sub.data.channel : undefined).toBe('desk');
    // The ticket is gone; an image no ticket named waits where it is.
    await waitFor('ticket removed', async () => !(await exists(join(ticketsIn(), 'order.xml'))));
    expect(await listFiles(ticketsIn())).toEqual(['waiting.jpg']);
  });

  it('a ticket naming an unknown channel, or none, goes to the bad folder with its images and an error', async () => {
    const [sample] = await smallSamples();
    await copyFile(sample!, join(ticketsIn(), 'lost.jpg'));
    await writeFile(
      join(ticketsIn(), 'unknown.xml'),
      ticket('  <channel>nosuch</channel>\n  <image>lost.jpg</image>'),
    );
    await writeFile(join(ticketsIn(), 'nochannel.xml'), ticket('  <image>waiting.jpg</image>'));
    await waitFor(
      'unknown.xml reported',
      () => exists(join(ticketsBad(), 'unknown.xml.error.txt')),
      30_000,
      a.output,
    );
    await waitFor(
      'nochannel.xml reported',
      () => exists(join(ticketsBad(), 'nochannel.xml.error.txt')),
      30_000,
      a.output,
    );
    const unknown = await readFile(join(ticketsBad(), 'unknown.xml.error.txt'), 'utf8');
    expect(unknown).toMatch(/code: E_TICKET_INVALID/);
    expect(unknown).toMatch(/no channel named "nosuch" \(channels: desk, sorter\)/);
    expect(await readFile(join(ticketsBad(), 'nochannel.xml.error.txt'), 'utf8')).toMatch(
      /must name its channel in <channel>/,
    );
    expect(await listFiles(ticketsBad())).toEqual([
      'lost.jpg',
      'nochannel.xml',
      'nochannel.xml.error.txt',
      'unknown.xml',
      'unknown.xml.error.txt',
      'waiting.jpg',
    ]);
    expect(await listFiles(ticketsIn())).toEqual([]);
    const { submitted } = await outcomes(d.shared);
    expect(submitted.has('lost.jpg')).toBe(false);
  });
});

describe('darkroom start: routing on the image facts', () => {
  it('routes by colour space, EXIF field and width', async () => {
    const [sample] = await smallSamples();
    const stage = join(d.root, 'stage');
    await mkdir(stage, { recursive: true });
    await sharp(sample).toColourspace('cmyk').jpeg().toFile(join(stage, 'a-cmyk.jpg'));
    await sharp(sample)
      .withExif({ IFD0: { Make: 'Canon', Model: 'EOS R5' } })
      .jpeg()
      .toFile(join(stage, 'b-canon.jpg'));
    await sharp(sample).resize({ width: 1200 }).jpeg().toFile(join(stage, 'c-wide.jpg'));
    await mkdir(hot('sorter', 'in'), { recursive: true });
    for (const name of ['a-cmyk.jpg', 'b-canon.jpg', 'c-wide.jpg']) {
      await copyFile(join(stage, name), join(hot('sorter', 'in'), name));
    }
    await copyFile(sample!, join(hot('sorter', 'in'), 'd-plain.jpg'));
    const expected = [
      ['print', 'a-cmyk.jpg'],
      ['canon', 'b-canon.jpg'],
      ['wide', 'c-wide.jpg'],
      ['rest', 'd-plain.jpg'],
    ] as const;
    for (const [folder, name] of expected) {
      await waitFor(
        `${name} routed to ${folder}`,
        () => exists(join(d.shared, folder, name)),
        30_000,
        a.output,
      );
    }
    expect(await listFiles(hot('sorter', 'in'))).toEqual([]);
  });
});
