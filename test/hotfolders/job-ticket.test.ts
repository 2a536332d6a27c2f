// Job tickets: a good ticket, refused attacks (DOCTYPE, entities, size, depth), malformed XML and
// unknown elements named by line and path, settings overrides checked by an injected validator.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DarkroomError } from '../../src/errors/darkroom-error.js';
import { isJobTicketName, parseJobTicket, readJobTicket } from '../../src/hotfolders/job-ticket.js';
import { tempDir } from './watch-helpers.js';

const good = `<?xml version="1.0" encoding="UTF-8"?>
<!-- sent by the picture desk -->
<jobTicket version="1">
  <channel>sport</channel>
  <reference>desk-4711</reference>
  <image>IMG_0001.jpg</image>
  <image>IMG_0002.jpg</image>
  <outputFolder>/mnt/press/sport</outputFolder>
  <resultTicket>true</resultTicket>
  <iptc>
    <caption>Smith &amp; Jones score &#8220;late&#8221;</caption>
    <credit><![CDATA[Photo: A <B> C]]></credit>
    <keyword>football</keyword>
    <keyword>derby</keyword>
  </iptc>
  <settings>
    <geometry width="2000" height="1500" fit="cover"/>
    <enhancement>
      <cast enabled="true" strength="0.8"/>
      <sharpen enabled="false"/>
    </enhancement>
    <colour space="cmyk">
      <cmykProfile>builtin</cmykProfile>
    </colour>
    <output format="jpeg" jpegQuality="85"/>
  </settings>
</jobTicket>
`;

function ticketError(text: string, options = {}): DarkroomError {
  try {
    parseJobTicket(text, 'in/t.xml', options);
  } catch (err) {
    if (err instanceof DarkroomError) return err;
    throw err;
  }
  throw new Error('expected E_TICKET_INVALID');
}

const wrap = (body: string) => `<?xml version="1.0"?>\n<jobTicket>\n${body}\n</jobTicket>\n`;

describe('parseJobTicket on a good ticket', () => {
  it('reads images, channel, IPTC fields and settings overrides as a nested partial', () => {
    const t = parseJobTicket(good, 'in/t.xml');
    expect(t).toEqual({
      file: 'in/t.xml',
      version: '1',
      channel: 'sport',
      reference: 'desk-4711',
      images: ['IMG_0001.jpg', 'IMG_0002.jpg'],
      outputFolder: '/mnt/press/sport',
      resultTicket: true,
      iptc: {
        caption: 'Smith & Jones score \u201clate\u201d',
        credit: 'Photo: A <B> C',
        keywords: ['football', 'derby'],
      },
      overrides: {
        geometry: { width: 2000, height: 1500, fit: 'cover' },
        enhancement: { cast: { enabled: true, strength: 0.8 }, sharpen: { enabled: false } },
        colour: { space: 'cmyk', cmykProfile: 'builtin' },
        output: { format: 'jpeg', jpegQuality: 85 },
      },
    });
    expect(Object.isFrozen(t.overrides)).toBe(true);
  });

  it('defaults: no result ticket, no overrides', () => {
    expect(parseJobTicket(wrap('<image>a.jpg</image>'), 'x.xml')).toMatchObject({
      resultTicket: false,
      overrides: {},
    });
  });

  it('knows ticket names, but not result tickets', () => {
    expect(isJobTicketName('order.XML')).toBe(true);
    expect(isJobTicketName('photo.result.xml')).toBe(false);
    expect(isJobTicketName('photo.jpg')).toBe(false);
  });
});

describe('parseJobTicket refuses', () => {
  it('a DOCTYPE with an entity (billion laughs), naming the line', () => {
    const attack = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;">\n]>\n<jobTicket><image>&lol2;</image></jobTicket>`;
    const e = ticketError(attack);
    expect(e.code).toBe('E_TICKET_INVALID');
    expect(e.message).toBe(
      'job ticket in/t.xml: line 2: a DOCTYPE or ENTITY declaration is not allowed (no DTDs, no entities)',
    );
  });

  it('an external entity', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><jobTicket><image>&x;</image></jobTicket>`;
    expect(ticketError(xxe).message).toMatch(/DOCTYPE or ENTITY declaration is not allowed/);
  });

  it('an undefined entity reference', () => {
    expect(ticketError(wrap('<image>&x;</image>')).message).toMatch(/line 3: unknown entity &x;/);
  });

  it('malformed XML, naming the line', () => {
    const e = ticketError(wrap('<image>a.jpg</image>\n<channel>sport</chanel>'));
    expect(e.message).toMatch(/^job ticket in\/t\.xml: line 4: malformed XML: /);
    expect(e.fields['line']).toBe(4);
  });

  it('an unknown element, naming path and line', () => {
    const e = ticketError(wrap('<image>a.jpg</image>\n<colour>red</colour>'));
    expect(e.message).toMatch(/jobTicket\/colour, line 4: unknown element <colour>/);
    expect(ticketError(wrap('<image>a.jpg</image>\n<iptc>\n<mood>x</mood></iptc>')).message).toMatch(
      /jobTicket\/iptc\/mood, line 5: unknown element <mood>/,
    );
  });

  it('an oversized ticket, from the file size before reading it', async () => {
    const dir = await tempDir('ticket');
    const path = join(dir, 'big.xml');
    await writeFile(path, wrap(`<image>a.jpg</image><!-- ${'x'.repeat(300 * 1024)} -->`));
    await expect(readJobTicket(path)).rejects.toThrow(/is \d+ bytes, over the limit of 262144/);
    expect(ticketError(wrap('<image>a.jpg</image>'), { maxBytes: 20 }).message).toMatch(
      /over the limit of 20/,
    );
  });

  it('nesting deeper than the limit', () => {
    const deep = `${'<a>'.repeat(30)}1${'</a>'.repeat(30)}`;
    expect(ticketError(wrap(`<image>a.jpg</image><settings>${deep}</settings>`)).message).toMatch(
      /nested deeper than 16 levels/,
    );
  });

  it('a ticket without image, an image with a path, a bad boolean, a wrong root', () => {
    expect(ticketError(wrap('<channel>x</channel>')).message).toMatch(
      /jobTicket\/image, line 2: names no <image>/,
    );
    expect(ticketError(wrap('<image>../etc/passwd</image>')).message).toMatch(
      /jobTicket\/image, line 3: must be a file name in the ticket folder, without a path/,
    );
    expect(ticketError(wrap('<image>a.jpg</image><resultTicket>yes</resultTicket>')).message).toMatch(
      /jobTicket\/resultTicket, line 3: must be true or false, found "yes"/,
    );
    expect(ticketError('<order><image>a.jpg</image></order>').message).toMatch(
      /root element must be <jobTicket>, found <order>/,
    );
  });

  it('settings the pipeline refuses, at the element that holds them', () => {
    const text = wrap(
      '<image>a.jpg</image>\n<settings>\n  <geometry width="10"/>\n  <output jpegQuality="120"/>\n</settings>',
    );
    expect(ticketError(text).message).toMatch(
      /^job ticket in\/t\.xml: jobTicket\/settings\/output\/jpegQuality, line 6: .*100/,
    );
    const unknown = wrap(
      '<image>a.jpg</image>\n<settings>\n<enhancement>\n<glow strength="1"/>\n</enhancement></settings>',
    );
    expect(ticketError(unknown).message).toMatch(
      /jobTicket\/settings\/enhancement\/glow, line 6: unknown key glow/,
    );
  });

  it('an injected validator replaces the pipeline check', () => {
    const validateOverrides = (o: Record<string, unknown>) => {
      if ('mood' in o)
        throw new DarkroomError('E_SETTINGS_INVALID', { field: 'mood', detail: 'no moods here' });
    };
    const text = wrap('<image>a.jpg</image>\n<settings mood="sunny"/>');
    expect(ticketError(text, { validateOverrides }).message).toMatch(
      /jobTicket\/settings\/mood, line 4: no moods here/,
    );
    expect(parseJobTicket(text, 't.xml', { validateOverrides: false }).overrides).toEqual({ mood: 'sunny' });
  });
});

describe('docs/job-tickets.md', () => {
  it('shows an example ticket that parses, and a result ticket that is well-formed', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/job-tickets.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const ticket = parseJobTicket(blocks[0]!, 'docs example');
    expect(ticket.images).toEqual(['IMG_0001.jpg', 'IMG_0002.jpg']);
    expect(ticket.overrides).toMatchObject({ output: { jpegQuality: 85 }, colour: { space: 'cmyk' } });
    const { parseSafeXml } = await import('../../src/hotfolders/safe-xml.js');
    expect(parseSafeXml(blocks[1]!).name).toBe('jobResult');
  });
});
