// ESLint flat config: typescript-eslint's type-checked rules, plus the house bans on
// clocks, randomness, timers and file I/O inside the pure parts (projections, deciders).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const impure = [
  { name: 'Date', message: 'Pure code takes time from an injected Clock.' },
  { name: 'setTimeout', message: 'Pure code has no timers.' },
  { name: 'setInterval', message: 'Pure code has no timers.' },
];

export default defineConfig(
  { ignores: ['node_modules', 'dist', 'coverage', 'demo', 'web/vendor', '**/*.d.ts'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/projections/**/*.ts', 'src/**/decide-*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impure],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Pure code takes ids from an injected source.' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:timers*'] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The web UI: plain ES modules run by the browser (no build step).
    files: ['web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'fetch',
          'URL',
          'URLSearchParams',
          'EventSource',
          'HTMLElement',
          'Node',
          'CSS',
          'confirm',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'console',
          'queueMicrotask',
          'performance',
          'AbortSignal',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
);
