import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** Where this file lives: the dashboard's Vite root, whatever the working directory. */
const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the dashboard into `client/dashboard/dist`, which Pulse serves at `/`
 * (`server/transports/dashboard.ts`): `index.html` plus content-hashed files
 * under `assets/`, so the server may cache those forever.
 */
export default defineConfig({
  root,
  base: '/',
  // Nothing to copy verbatim: the icon is inlined in index.html.
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
