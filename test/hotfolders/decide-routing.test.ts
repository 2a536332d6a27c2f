// decideRouting, given rules and a file's facts, then a target: first match wins.
import { describe, expect, it } from 'vitest';
import {
  decideRouting,
  routingSettingsSchema,
  type RoutingFacts,
  type RoutingSettings,
} from '../../src/hotfolders/decide-routing.js';

const settings: RoutingSettings = routingSettingsSchema.parse({
  rules: [
    {
      name: 'already done',
      when: { fields: [{ field: 'xmp.darkroom.jobId', op: 'exists' }] },
      to: { folder: '/out/done' },
    },
    { name: 'cmyk to print', when: { colourSpaces: ['cmyk'] }, to: { folder: '/out/print' } },
    { name: 'small web', when: { formats: ['jpg', 'png'], maxWidthPx: 800 }, to: { channel: 'web' } },
    {
      name: 'sport',
      when: { fields: [{ field: 'iptc.keywords', op: 'equals', value: 'Sport' }] },
      to: { channel: 'sport' },
    },
    { name: 'drafts', when: { namePattern: 'drafts/**' }, to: { folder: '/out/drafts' } },
    {
      name: 'huge portrait',
      when: { minBytes: 10_000_000, orientation: 'portrait' },
      to: { folder: '/out/big' },
    },
    {
      name: 'nikon',
      when: { fields: [{ field: 'exif.Make', op: 'matches', value: '/^nikon/i' }] },
      to: { channel: 'nikon' },
    },
  ],
  otherwise: { channel: 'news' },
});

const photo: RoutingFacts = {
  relPath: 'a.jpg',
  bytes: 2_000_000,
  format: 'jpeg',
  colourSpace: 'srgb',
  widthPx: 3000,
  heightPx: 2000,
};

function given(facts: Partial<RoutingFacts>) {
  return decideRouting(settings, { ...photo, ...facts });
}

describe('decideRouting', () => {
  it('then the first matching rule wins, even when later ones match too', () => {
    expect(given({ colourSpace: 'cmyk', widthPx: 500 })).toEqual({
      kind: 'routed',
      to: { folder: '/out/print' },
      rule: 1,
      ruleName: 'cmyk to print',
    });
  });
  it('matches formats by alias and size bounds inclusively', () => {
    expect(given({ widthPx: 800, format: 'png' })).toMatchObject({ to: { channel: 'web' }, rule: 2 });
    expect(given({ widthPx: 801 })).toMatchObject({ kind: 'otherwise' });
    expect(given({ widthPx: 600, format: 'tiff' })).toMatchObject({ kind: 'otherwise' });
  });
  it('matches IPTC list fields case-insensitively', () => {
    expect(given({ fields: { 'iptc.keywords': ['football', 'sport'] } })).toMatchObject({
      to: { channel: 'sport' },
    });
  });
  it('recognises an already processed image by its stamp', () => {
    expect(given({ fields: { 'xmp.darkroom.jobId': 'J1' } })).toMatchObject({
      to: { folder: '/out/done' },
      rule: 0,
    });
    expect(given({ fields: { 'xmp.darkroom.jobId': '  ' } })).toMatchObject({ kind: 'otherwise' });
  });
  it('matches name patterns on the relative path, bytes and orientation', () => {
    expect(given({ relPath: 'drafts/x/a.jpg' })).toMatchObject({ to: { folder: '/out/drafts' } });
    expect(given({ bytes: 12_000_000, widthPx: 2000, heightPx: 3000 })).toMatchObject({
      to: { folder: '/out/big' },
    });
    expect(given({ bytes: 12_000_000 })).toMatchObject({ kind: 'otherwise' });
  });
  it('matches a field by regex, and an unknown value never satisfies a bound', () => {
    expect(given({ fields: { 'exif.Make': 'NIKON CORPORATION' } })).toMatchObject({
      to: { channel: 'nikon' },
    });
    expect(given({ widthPx: undefined, format: 'png' })).toMatchObject({ kind: 'otherwise' });
  });
  it('is unmatched without an otherwise', () => {
    expect(decideRouting({ rules: [] }, photo)).toEqual({ kind: 'unmatched' });
  });
});

describe('routingSettingsSchema', () => {
  it('refuses unknown condition keys and field tests without a value', () => {
    expect(
      routingSettingsSchema.safeParse({ rules: [{ when: { colour: 'red' }, to: { folder: '/x' } }] }).success,
    ).toBe(false);
    const r = routingSettingsSchema.safeParse({
      rules: [{ when: { fields: [{ field: 'iptc.credit' }] }, to: { folder: '/x' } }],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/needs a value/);
  });
  it('refuses a target that names both a folder and a channel', () => {
    expect(
      routingSettingsSchema.safeParse({ rules: [{ when: {}, to: { folder: '/x', channel: 'c' } }] }).success,
    ).toBe(false);
  });
});
