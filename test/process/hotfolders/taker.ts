// Crash-free fixture: takes every file of an input folder into <shared>/work and prints the names it won.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { takeFile } from '../../../src/hotfolders/take-file.js';

const [shared, input, who] = process.argv.slice(2) as [string, string, string];
const won: string[] = [];
for (const name of (await readdir(input)).sort()) {
  const taken = await takeFile(shared, join(input, name), `${who}-${name}`, {
    channel: 'race',
    relPath: name,
  });
  if (taken) won.push(name);
}
process.stdout.write(JSON.stringify(won));
