// Hidden/temporary names and skip patterns (glob or /regex/).
import { describe, expect, it } from 'vitest';
import { compileSkipPattern, isHiddenOrTemporary } from '../../src/hotfolders/ignored-file.js';

describe('isHiddenOrTemporary', () => {
  it.each([
    '.DS_Store',
    '._IMG_1.jpg',
    '.x',
    'Thumbs.db',
    'desktop.ini',
    '~$doc.docx',
    'a.tmp',
    'a.PART',
    'b.crdownload',
    'c.jpg~',
  ])('ignores %s', (name) => expect(isHiddenOrTemporary(name)).toBe(true));
  it.each(['IMG_1.jpg', 'photo.tmp.jpg', 'part.tif', 'a b.png'])('keeps %s', (name) =>
    expect(isHiddenOrTemporary(name)).toBe(false),
  );
});

describe('compileSkipPattern', () => {
  it('matches a glob against the name, case-insensitively', () => {
    const skip = compileSkipPattern('*.{txt,XMP}');
    expect(skip('notes.txt')).toBe(true);
    expect(skip('sub/IMG.xmp')).toBe(true);
    expect(skip('IMG.jpg')).toBe(false);
  });
  it('matches a glob with a slash against the relative path', () => {
    const skip = compileSkipPattern('drafts/**');
    expect(skip('drafts/a/b.jpg')).toBe(true);
    expect(skip('final/drafts.jpg')).toBe(false);
  });
  it('takes /regex/flags', () => {
    const skip = compileSkipPattern('/^raw_\\d+/i');
    expect(skip('RAW_12.jpg')).toBe(true);
    expect(skip('x_raw_12.jpg')).toBe(false);
  });
  it('refuses a regex that does not compile, naming the setting', () => {
    expect(() => compileSkipPattern('/a(/', 'channels.x.skipPattern')).toThrow(
      /invalid settings at channels\.x\.skipPattern: regular expression \/a\(\/ does not compile/,
    );
  });
});
