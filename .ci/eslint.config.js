// Lint rules for the whole repository. Kept beside the CI script because the
// top level holds only the files the project layout names; `npm run lint`
// points ESLint here. `basePath` makes every pattern relative to the repo root.
import js from '@eslint/js';
import tsdoc from 'eslint-plugin-tsdoc';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/server/resolvers/generated/**', '**/client/generated/**', '**/dist/**'] },
  {
    basePath: '..',
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    plugins: { tsdoc },
    rules: {
      'tsdoc/syntax': 'warn',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    basePath: '..',
    // `**/` because with --config ESLint resolves basePath from the working directory, not from
    // this file, so root-anchored patterns ('tests/**') silently matched nothing.
    files: ['**/tests/**/*.ts', '**/server/cli/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
