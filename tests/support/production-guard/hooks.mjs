// A module resolve hook (node:module `register`) for the production-build
// test: Pulse's own files under dist/ may import only runtime dependencies
// and JavaScript, never a devDependency (gone after `npm prune --omit=dev`)
// nor a .ts file (no TypeScript at run time).
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const devOnly = new Set(Object.keys(manifest.devDependencies ?? {}).filter((name) => !(name in (manifest.dependencies ?? {}))));
const dist = new URL('dist/', root).href;

function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function resolve(specifier, context, nextResolve) {
  const ours = context.parentURL?.startsWith(dist) ?? false;
  const name = packageOf(specifier);
  if (ours && name !== null && devOnly.has(name)) {
    throw new Error(`production build: ${context.parentURL} imports the devDependency ${name}`);
  }
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.endsWith('.ts') || resolved.url.endsWith('.mts')) {
    throw new Error(`production build: ${resolved.url} is TypeScript, loaded by ${context.parentURL ?? 'the entry'}`);
  }
  return resolved;
}
