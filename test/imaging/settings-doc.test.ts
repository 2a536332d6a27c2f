import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsReference } from '../../src/imaging/settings-doc.js';

describe('docs/imaging.md settings reference', () => {
  it('matches the schema (regenerate the block between the settings markers after a change)', () => {
    const doc = readFileSync(new URL('../../docs/imaging.md', import.meta.url), 'utf8');
    const block = /<!-- settings:begin -->\n([\s\S]*)<!-- settings:end -->/.exec(doc)?.[1];
    expect(block).toBe(renderSettingsReference());
  });

  it('lists every leaf setting with its default', () => {
    const table = renderSettingsReference();
    expect(table).toContain('| input.maxInputPixels | integer 1..1000000000 | `100000000` |');
    expect(table).toContain('| enhancement.exposure.target |');
    expect(table).toContain('| quality.rejectCmyk | boolean | `false` |');
  });
});
