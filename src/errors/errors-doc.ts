// Renders the error catalogue as the Markdown table in docs/errors.md.
import { catalogue, type ErrorSpec } from './catalogue.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries<ErrorSpec>(catalogue).map(
    ([code, s]) =>
      `| \`${code}\` | ${s.kind} | ${s.status} | ${s.exit} | ${s.message.replace(/\|/g, '\\|')} | ${s.fix.replace(/\|/g, '\\|')} |`,
  );
  return [
    '# darkroom error codes',
    '',
    'Generated from `src/errors/catalogue.ts` by `npm run docs:errors`; a test keeps the two in step.',
    'Kinds: **refusal** (a rule said no; re-read and retry), **input** (the request or file is wrong),',
    '**fault** (darkroom or its drive failed). `status` is the HTTP status, `exit` the CLI exit code.',
    '',
    '| code | kind | status | exit | message | what to do |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
