import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/errors/catalogue.js';
import { DarkroomError } from '../../src/errors/darkroom-error.js';
import { renderErrorsDoc } from '../../src/errors/errors-doc.js';

describe('error catalogue', () => {
  it('docs/errors.md matches the catalogue (run npm run docs:errors after a change)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
  });

  it('every code has a fix line and an E_ name', () => {
    for (const [code, s] of Object.entries(catalogue)) {
      expect(code).toMatch(/^E_[A-Z_]+$/);
      expect(s.fix.length).toBeGreaterThan(10);
    }
  });

  it('fills the message template with the named fields', () => {
    const e = new DarkroomError('E_CONF_SYNTAX', {
      file: 'ClaroServers.conf',
      line: 7,
      detail: 'port "79o0" is not a number',
    });
    expect(e.message).toBe('ClaroServers.conf line 7: port "79o0" is not a number');
    expect(e.exit).toBe(78);
    expect(e.kind).toBe('input');
  });
});
