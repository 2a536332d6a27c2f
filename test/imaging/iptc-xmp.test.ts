// IPTC fields of a job ticket written as IPTC Core XMP properties: the packet builder (escaping,
// replacing the same properties of a kept packet) and the pipeline's output XMP.
import { describe, expect, it } from 'vitest';
import { iptcDescription, withIptcXmp } from '../../src/imaging/iptc-xmp.js';
import { parsePipelineSettings } from '../../src/imaging/pipeline-settings.js';
import { runPipeline } from '../../src/imaging/pipeline.js';
import { parseStamp } from '../../src/imaging/processing-stamp.js';
import { sharp } from '../../src/imaging/sharp-door.js';

const photo = (): Promise<Buffer> =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 120, g: 90, b: 60 } } })
    .jpeg()
    .toBuffer();

const xmpOf = async (data: Buffer): Promise<string> => {
  const meta = await sharp(data).metadata();
  expect(meta.xmp, 'the output has an XMP packet').toBeDefined();
  return meta.xmp!.toString('utf8');
};

describe('iptc-xmp', () => {
  it('escapes <, & and " and maps every field to its IPTC Core property', () => {
    const d = iptcDescription({
      caption: 'Smith & Jones <score> "late"',
      headline: 'H',
      credit: 'C',
      byline: 'B',
      copyright: '© R',
      source: 'S',
      city: 'Hamburg',
      country: 'Germany',
      keywords: ['a&b', 'c'],
    })!;
    expect(d).toContain(
      '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Smith &amp; Jones &lt;score&gt; &quot;late&quot;</rdf:li></rdf:Alt></dc:description>',
    );
    expect(d).toContain('<dc:creator><rdf:Seq><rdf:li>B</rdf:li></rdf:Seq></dc:creator>');
    expect(d).toContain(
      '<dc:subject><rdf:Bag><rdf:li>a&amp;b</rdf:li><rdf:li>c</rdf:li></rdf:Bag></dc:subject>',
    );
    expect(d).toContain(
      '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© R</rdf:li></rdf:Alt></dc:rights>',
    );
    for (const p of ['Headline>H', 'Credit>C', 'Source>S', 'City>Hamburg', 'Country>Germany']) {
      expect(d).toContain(`<photoshop:${p}</photoshop:`);
    }
  });

  it('no fields: the packet is unchanged; fields replace the same properties of a kept packet', () => {
    expect(withIptcXmp({}, 'P')).toBe('P');
    expect(withIptcXmp(undefined)).toBeUndefined();
    const kept =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Old" photoshop:State="Kept">' +
      '<photoshop:Credit>Old credit</photoshop:Credit></rdf:Description></rdf:RDF></x:xmpmeta>';
    const out = withIptcXmp({ city: 'New', credit: 'New credit' }, kept);
    expect(out).not.toContain('Old');
    expect(out).toContain('photoshop:State="Kept"');
    expect(out).toContain('<photoshop:City>New</photoshop:City>');
    expect(out).toContain('<photoshop:Credit>New credit</photoshop:Credit>');
  });

  it('the pipeline writes caption, credit and keywords into the output XMP beside the stamp', async () => {
    const settings = parsePipelineSettings({});
    const result = await runPipeline(await photo(), settings, {
      fileName: 'p.jpg',
      stamp: { jobId: 'j1' },
      iptc: { caption: 'Tor <&"> Derby', credit: 'Agency & Co', keywords: ['football', 'derby'] },
    });
    const xmp = await xmpOf(result.data);
    expect(xmp).toContain('Tor &lt;&amp;&quot;&gt; Derby');
    expect(xmp).toContain('<photoshop:Credit>Agency &amp; Co</photoshop:Credit>');
    expect(xmp).toContain('<rdf:li>football</rdf:li><rdf:li>derby</rdf:li>');
    expect(parseStamp(xmp)?.context?.['jobId']).toBe('j1');
  });

  it('writes the fields without a stamp too', async () => {
    const settings = parsePipelineSettings({ output: { stamp: false, format: 'png' } });
    const result = await runPipeline(await photo(), settings, { iptc: { headline: 'Only' } });
    const xmp = await xmpOf(result.data);
    expect(xmp).toContain('<photoshop:Headline>Only</photoshop:Headline>');
    expect(parseStamp(xmp)).toBeUndefined();
  });
});
