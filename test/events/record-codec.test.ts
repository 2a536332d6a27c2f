import { describe, expect, it } from 'vitest';
import { DarkroomError } from '../../src/errors/darkroom-error.js';
import type { LogRecord } from '../../src/events/log-record.js';
import { canonical, decodeLine, sealRecord, type UnsealedRecord } from '../../src/events/record-codec.js';

const origin = { file: 'b000000000001.jsonl', line: 1 };

function unsealed(seq: number, prev: string, text = `note ${seq}`): UnsealedRecord {
  return {
    seq,
    ts: '2026-11-25T13:00:00.000Z',
    by: 'press1',
    inc: 3,
    term: 2,
    type: 'OperatorNote',
    data: { author: 'ann', text },
    prev,
  };
}

function chain(n: number): { records: LogRecord[]; lines: string[] } {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  let prev = '';
  for (let seq = 1; seq <= n; seq++) {
    const { record, line } = sealRecord(unsealed(seq, prev));
    records.push(record);
    lines.push(line);
    prev = record.hash;
  }
  return { records, lines };
}

function codeOf(fn: () => unknown): { code: string; fields: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DarkroomError) return { code: err.code, fields: { ...err.fields } };
    throw err;
  }
  throw new Error('expected an error');
}

describe('record framing', () => {
  it('writes one canonical line with keys in stable order and no newline', () => {
    const { line } = sealRecord(unsealed(1, ''));
    expect(line).not.toContain('\n');
    expect(Object.keys(JSON.parse(line) as object)).toEqual([
      'by',
      'data',
      'hash',
      'inc',
      'prev',
      'seq',
      'term',
      'ts',
      'type',
    ]);
    expect(line).toBe(canonical(JSON.parse(line)));
  });

  it('chains hashes: each record carries the hash of the one before', () => {
    const { records, lines } = chain(5);
    let prev = '';
    lines.forEach((l, i) => {
      const r = decodeLine(l, origin, { seq: i + 1, prev });
      expect(r).toEqual(records[i]);
      prev = r.hash;
    });
    expect(records[3]!.prev).toBe(records[2]!.hash);
  });

  it('accepts a record whose keys were reordered by a tool (same canonical content)', () => {
    const { lines } = chain(1);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    const reordered = JSON.stringify({ type: parsed['type'], ...parsed });
    expect(reordered).not.toBe(lines[0]);
    expect(decodeLine(reordered, origin, { seq: 1, prev: '' }).seq).toBe(1);
  });
});

describe('a damaged or invalid line', () => {
  const { lines, records } = chain(3);
  it('a changed byte in the data is a hash mismatch naming file, line and seq', () => {
    const bad = lines[1]!.replace('note 2', 'note X');
    expect(codeOf(() => decodeLine(bad, { file: 'f', line: 2 }, { seq: 2, prev: records[0]!.hash }))).toEqual(
      {
        code: 'E_LOG_CORRUPT',
        fields: { file: 'f', line: 2, seq: 2, detail: expect.stringContaining('hash mismatch') },
      },
    );
  });

  it('a gap (unexpected seq) is damage', () => {
    expect(codeOf(() => decodeLine(lines[2]!, origin, { seq: 2, prev: records[0]!.hash })).code).toBe(
      'E_LOG_CORRUPT',
    );
  });

  it('a broken chain (prev differs) is damage', () => {
    expect(
      codeOf(() => decodeLine(lines[2]!, origin, { seq: 3, prev: records[0]!.hash })).fields['detail'],
    ).toMatch(/prev/);
  });

  it('NUL bytes and bad JSON are damage', () => {
    expect(
      codeOf(() => decodeLine(`${lines[0]!.slice(0, 10)}\u0000\u0000`, origin, { seq: 1, prev: '' })).code,
    ).toBe('E_LOG_CORRUPT');
    expect(
      codeOf(() => decodeLine(lines[0]!.slice(0, 30), origin, { seq: 1, prev: '' })).fields['detail'],
    ).toMatch(/not JSON/);
  });

  it('data breaking its schema is E_LOG_RECORD_INVALID naming the field', () => {
    const { line } = sealRecord({
      ...unsealed(1, ''),
      data: { author: 'ann', text: 7 },
    } as unknown as UnsealedRecord);
    expect(codeOf(() => decodeLine(line, origin, { seq: 1, prev: '' }))).toEqual({
      code: 'E_LOG_RECORD_INVALID',
      fields: {
        file: origin.file,
        line: 1,
        seq: 1,
        field: 'data.text',
        detail: expect.stringContaining('OperatorNote'),
      },
    });
  });

  it('a bad envelope field is E_LOG_RECORD_INVALID naming it', () => {
    const { line } = sealRecord({ ...unsealed(1, ''), inc: -1 });
    expect(codeOf(() => decodeLine(line, origin, { seq: 1, prev: '' })).fields['field']).toBe('inc');
  });

  it('names NUL bytes as such, also inside an otherwise whole line', () => {
    const withNul = lines[0]!.replace('note 1', 'note\u00001');
    expect(codeOf(() => decodeLine(withNul, origin, { seq: 1, prev: '' })).fields['detail']).toMatch(/NUL/);
  });

  it('a hash or prev that is not 64 lowercase hex digits is E_LOG_RECORD_INVALID naming it', () => {
    const upper = JSON.parse(lines[1]!) as Record<string, unknown>;
    const badHash = { ...upper, hash: String(upper['hash']).toUpperCase() };
    expect(
      codeOf(() => decodeLine(canonical(badHash), origin, { seq: 2, prev: records[0]!.hash })),
    ).toMatchObject({ code: 'E_LOG_RECORD_INVALID', fields: { field: 'hash', seq: 2 } });
    const badPrev = { ...upper, prev: 'zz'.repeat(32) };
    // Started mid-log (expected prev unknown): the format check alone catches it.
    expect(codeOf(() => decodeLine(canonical(badPrev), origin, { seq: 2, prev: undefined }))).toMatchObject({
      code: 'E_LOG_RECORD_INVALID',
      fields: { field: 'prev' },
    });
  });

  it('an unknown event type stops with E_LOG_TOO_NEW naming seq and type', () => {
    const { line } = sealRecord({
      ...unsealed(1, ''),
      type: 'FluxCapacitorCharged',
    } as unknown as UnsealedRecord);
    expect(codeOf(() => decodeLine(line, origin, { seq: 1, prev: '' }))).toMatchObject({
      code: 'E_LOG_TOO_NEW',
      fields: { seq: 1, type: 'FluxCapacitorCharged' },
    });
  });
});

describe('sealRecord', () => {
  it('produces exactly the canonical serialisation of the sealed record, whatever the data holds', () => {
    const tricky = { author: ',"inc":0,"prev":"","seq":1,', text: '"hash" \\ \u00e9 \n' };
    for (const data of [tricky, { author: 'a', text: 'b' }]) {
      const { record, line } = sealRecord({ ...unsealed(1, ''), data });
      expect(line).toBe(canonical(record));
    }
  });
});
