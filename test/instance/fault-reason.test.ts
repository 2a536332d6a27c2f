// A fault's JobReleased reason names files by their drive paths: the 20-minute soak's log held
// reasons such as "ENOENT … link '/tmp/…/views/s2/work/…'" with one instance's mount path in them.
import { describe, expect, it } from 'vitest';
import { faultReason } from '../../src/instance/worker-role.js';

describe('faultReason', () => {
  it('writes every path inside the drive as its drive path', () => {
    const err = Object.assign(
      new Error(
        "ENOENT: no such file or directory, link '/mnt/press/work/J1/p.jpg' -> '/mnt/press/hotfolders/press/originals/p.jpg'",
      ),
      { code: 'ENOENT' },
    );
    const reason = faultReason(err, '/mnt/press');
    expect(reason).toBe(
      "fault: ENOENT: no such file or directory, link 'work/J1/p.jpg' -> 'hotfolders/press/originals/p.jpg'",
    );
    expect(reason).not.toContain('/mnt/press');
  });

  it('keeps paths outside the drive and non-Error values', () => {
    expect(faultReason(new Error("EACCES: open '/srv/elsewhere/x.jpg'"), '/mnt/press')).toBe(
      "fault: EACCES: open '/srv/elsewhere/x.jpg'",
    );
    expect(faultReason('lock lost', '/mnt/press')).toBe('fault: lock lost');
  });
});
