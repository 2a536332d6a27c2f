// Writes docs/channel-settings.md from the channel settings schema (run: npx tsx scripts/gen-channels-doc.ts).
import { writeFileSync } from 'node:fs';
import { renderChannelSettingsDoc } from '../src/channels/settings-doc.js';

writeFileSync(new URL('../docs/channel-settings.md', import.meta.url), renderChannelSettingsDoc());
