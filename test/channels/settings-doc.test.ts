// docs/channel-settings.md is generated from the schema: this keeps the two in step.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderChannelSettingsDoc } from '../../src/channels/settings-doc.js';

describe('docs/channel-settings.md', () => {
  // The pipeline.* rows come from the imaging schema, which its owners change on their own
  // schedule; the channel's own keys must match exactly.
  const ownRows = (doc: string) => doc.split('\n').filter((l) => !l.startsWith('| `pipeline.'));

  it('matches the schema (regenerate with `npx tsx scripts/gen-channels-doc.ts`)', async () => {
    const doc = await readFile(new URL('../../docs/channel-settings.md', import.meta.url), 'utf8');
    expect(ownRows(doc)).toEqual(ownRows(renderChannelSettingsDoc()));
  });

  it('lists every top-level key of each channel type with its default', () => {
    const doc = renderChannelSettingsDoc();
    for (const row of [
      '| `priority` | integer 0..100 | `50` |',
      '| `inputDir` | string | `hotfolders/NAME/in` |',
      '| `workflow` | `all-to-output` \\| `rejected-to-review` \\| `rejected-to-bad` \\| `all-to-review` |',
      '| `scheduleMs` | integer 1000..604800000 | `3600000` |',
    ]) {
      expect(doc).toContain(row);
    }
  });
});
