// Image facts for routing: format, colour space, displayed size and EXIF/IPTC fields read from
// real files made with sharp, and routing rules on them deciding as expected.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideRouting, routingSettingsSchema } from '../../src/hotfolders/decide-routing.js';
import { iimValues, readImageFacts, xmpValues } from '../../src/imaging/image-facts.js';
import { withIptcXmp } from '../../src/imaging/iptc-xmp.js';
import { sharp } from '../../src/imaging/sharp-door.js';
import { tempDir } from './image-fixtures.js';

let dir: string;
const file = (name: string) => join(dir, name);
const base = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 150, g: 110, b: 80 } } });

beforeAll(async () => {
  dir = await tempDir();
  await base(120, 80)
    .withExif({
      IFD0: { Make: 'Canon', Model: 'EOS R5', Artist: 'Ann Photo', Copyright: '(c) Agency' },
      IFD2: { DateTimeOriginal: '2026:11:25 13:04:05' },
    })
    .jpeg()
    .toFile(file('canon.jpg'));
  await base(120, 80).toColourspace('cmyk').jpeg().toFile(file('cmyk.jpg'));
  await base(40, 30).toColourspace('b-w').png().toFile(file('grey.png'));
  // Stored 120x80, displayed 80x120 (orientation 6: rotate 90°).
  await base(120, 80).withMetadata({ orientation: 6 }).jpeg().toFile(file('rotated.jpg'));
  await base(60, 60)
    .withXmp(withIptcXmp({ credit: 'Agency & Co', keywords: ['sport', 'derby'] }, undefined)!)
    .jpeg()
    .toFile(file('xmp.jpg'));
  await writeFile(file('notes.txt'), 'not an image');
});

describe('readImageFacts', () => {
  it('reads format, colour space, size and EXIF fields', async () => {
    const f = await readImageFacts(file('canon.jpg'));
    expect(f).toMatchObject({ format: 'jpeg', colourSpace: 'srgb', widthPx: 120, heightPx: 80 });
    expect(f.fields).toMatchObject({
      'exif.Make': 'Canon',
      'exif.Model': 'EOS R5',
      'exif.Artist': 'Ann Photo',
      'exif.Copyright': '(c) Agency',
      'exif.DateTimeOriginal': '2026-11-25T13:04:05',
    });
    expect((await readImageFacts(file('cmyk.jpg'))).colourSpace).toBe('cmyk');
    expect(await readImageFacts(file('grey.png'))).toMatchObject({ format: 'png', colourSpace: 'b-w' });
  });

  it('gives the displayed size for a rotated photo, IPTC fields from XMP, nothing for a non-image', async () => {
    expect(await readImageFacts(file('rotated.jpg'))).toMatchObject({ widthPx: 80, heightPx: 120 });
    const x = await readImageFacts(file('xmp.jpg'));
    expect(x.fields['iptc.credit']).toBe('Agency & Co');
    expect(x.fields['iptc.keywords']).toEqual(['sport', 'derby']);
    expect(await readImageFacts(file('notes.txt'))).toEqual({ fields: {} });
  });

  it('parses XMP attribute form and IPTC-IIM datasets', () => {
    expect(xmpValues('<rdf:Description photoshop:City="K&amp;ln"/>', 'photoshop:City')).toEqual(['K&ln']);
    const ds = (n: number, v: string) => {
      const b = Buffer.from(v, 'utf8');
      return Buffer.concat([Buffer.from([0x1c, 0x02, n, b.length >> 8, b.length & 0xff]), b]);
    };
    const block = Buffer.concat([Buffer.from('8BIM\x04\x04'), ds(25, 'a'), ds(25, 'b'), ds(110, 'Credit')]);
    const iim = iimValues(block);
    expect(iim.get(25)).toEqual(['a', 'b']);
    expect(iim.get(110)).toEqual(['Credit']);
  });
});

describe('routing rules on real files', () => {
  const settings = routingSettingsSchema.parse({
    rules: [
      { name: 'print', when: { colourSpaces: ['cmyk'] }, to: { folder: 'print' } },
      { name: 'canon', when: { fields: [{ field: 'exif.Make', value: 'canon' }] }, to: { folder: 'canon' } },
      {
        name: 'agency',
        when: { fields: [{ field: 'iptc.keywords', value: 'derby' }] },
        to: { folder: 'sport' },
      },
      { name: 'portrait', when: { orientation: 'portrait' }, to: { folder: 'portrait' } },
      { name: 'small', when: { maxWidthPx: 50 }, to: { folder: 'small' } },
    ],
    otherwise: { folder: 'rest' },
  });
  const route = async (name: string) => {
    const f = await readImageFacts(file(name));
    const d = decideRouting(settings, { relPath: name, bytes: 1, ...f });
    return d.kind === 'unmatched' ? undefined : 'folder' in d.to ? d.to.folder : d.to.channel;
  };

  it('routes by colour space, EXIF field, IPTC keyword, orientation and width', async () => {
    expect(await route('cmyk.jpg')).toBe('print');
    expect(await route('canon.jpg')).toBe('canon');
    expect(await route('xmp.jpg')).toBe('sport');
    expect(await route('rotated.jpg')).toBe('portrait');
    expect(await route('grey.png')).toBe('small');
    expect(await route('notes.txt')).toBe('rest');
  });
});
