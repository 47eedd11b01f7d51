import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** One Redis for the whole run (suites isolate themselves by key prefix); see tests/support/global-setup.ts. */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`). Node, and so every
    // dependency, loads the CJS build; Vite would hand our own files the ESM
    // one, and two graphql realms break `instanceof` (errors get masked).
    alias: { graphql: 'graphql/index.js' },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
