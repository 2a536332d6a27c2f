// Writes docs/errors.md from the error catalogue (run: npm run docs:errors).
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/errors/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
