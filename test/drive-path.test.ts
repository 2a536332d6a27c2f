import { describe, expect, it } from 'vitest';
import { drivePathsIn, fromDrivePath, toDrivePath } from '../src/drive-path.js';

describe('toDrivePath', () => {
  it('names a file inside the drive relative to its root, with / separators', () => {
    expect(toDrivePath('/mnt/press', '/mnt/press/hotfolders/a/out/sub/p.jpg')).toBe(
      'hotfolders/a/out/sub/p.jpg',
    );
  });
  it('keeps a path outside the drive absolute (a channel folder elsewhere)', () => {
    expect(toDrivePath('/mnt/press', '/srv/outgoing/p.jpg')).toBe('/srv/outgoing/p.jpg');
    expect(toDrivePath('/mnt/press', '/mnt/press2/p.jpg')).toBe('/mnt/press2/p.jpg');
    expect(toDrivePath('/mnt/press', '/mnt/press')).toBe('/mnt/press');
  });
  it('a file whose name starts with two dots is still inside', () => {
    expect(toDrivePath('/mnt/press', '/mnt/press/..odd')).toBe('..odd');
  });
  it('leaves an already relative path alone', () => {
    expect(toDrivePath('/mnt/press', 'work/j1/p.jpg')).toBe('work/j1/p.jpg');
  });
});

describe('fromDrivePath', () => {
  it('resolves a drive path against this instance’s mount', () => {
    expect(fromDrivePath('/Volumes/press', 'hotfolders/a/out/p.jpg')).toBe(
      '/Volumes/press/hotfolders/a/out/p.jpg',
    );
  });
  it('returns absolute paths unchanged (outside the drive, or written by an older version)', () => {
    expect(fromDrivePath('/Volumes/press', '/srv/outgoing/p.jpg')).toBe('/srv/outgoing/p.jpg');
  });
  it('round-trips between two mounts of the same drive', () => {
    const p = toDrivePath('/mnt/press', '/mnt/press/work/j1/x.tif');
    expect(fromDrivePath('/Volumes/press', p)).toBe('/Volumes/press/work/j1/x.tif');
  });
});

describe('drivePathsIn', () => {
  it('rewrites every path inside the drive in a message as its drive path', () => {
    const msg = "input folder /mnt/press/hotfolders/a/in: ENOENT scandir '/mnt/press/hotfolders/a/in'";
    expect(drivePathsIn('/mnt/press', msg)).toBe(
      "input folder hotfolders/a/in: ENOENT scandir 'hotfolders/a/in'",
    );
  });
  it('leaves other paths alone', () => {
    expect(drivePathsIn('/mnt/press', 'cannot read /mnt/press2/x')).toBe('cannot read /mnt/press2/x');
  });
});
