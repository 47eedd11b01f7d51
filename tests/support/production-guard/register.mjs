// Loaded with `node --import` before the compiled server: installs the
// resolve hook in hooks.mjs, which fails the start if Pulse's own compiled
// code loads TypeScript or anything `npm prune --omit=dev` would remove.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
