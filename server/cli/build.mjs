// `npm run build` (and, with --if-stale, what `npm start` runs first): the
// production build, compiled JavaScript under plain `node`, no tsx and no
// TypeScript at run time.
//
// Plain JavaScript on purpose: it must run on a fresh clone before anything
// is compiled, and after `npm prune --omit=dev`, when tsx is gone.
//
// - dist/ mirrors the source tree (dist/server/main.js, dist/client/demo/…),
//   so every `import.meta.url`-relative path (the SDL, the Lua scripts, the
//   built dashboard) resolves in dist/ exactly as in the sources;
// - dist/.build-hash is a digest of every input; `--if-stale` rebuilds only
//   when it differs, so `npm start` after a source change never runs old
//   code, and a pruned install with an up-to-date build starts at once;
// - the build is written to a temporary folder and swapped in whole, so a
//   server running from dist/ (or a test run beside it) never sees half of one.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'dist');
const hashFile = join(out, '.build-hash');

/** Everything the build reads; a change to any of them makes the build stale. */
const INPUT_DIRS = ['server', 'schema', 'client/lib', 'client/demo', 'client/generated', 'client/dashboard'];
const INPUT_FILES = ['package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Files the compiled code reads at run time, beside the modules that read them. */
const ASSET_EXTENSIONS = ['.graphql', '.lua'];

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'dist' && entry.name !== 'node_modules') yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

function inputHash() {
  const files = [...INPUT_DIRS.flatMap((dir) => [...filesUnder(join(root, dir))]), ...INPUT_FILES.map((file) => join(root, file))].sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function run(bin, args) {
  const path = join(root, 'node_modules', '.bin', bin);
  if (!existsSync(path)) fail(`${bin} is not installed (a pruned install?): run npm ci && npm run build`);
  const { status } = spawnSync(path, args, { cwd: root, stdio: 'inherit' });
  if (status !== 0) fail(`${bin} ${args.join(' ')} failed`);
}

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

function copyAssets(target) {
  for (const dir of ['server', 'schema']) {
    for (const file of filesUnder(join(root, dir))) {
      if (ASSET_EXTENSIONS.some((extension) => file.endsWith(extension))) cpSync(file, join(target, relative(root, file)));
    }
  }
}

function build(hash) {
  const next = `${out}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  // The dashboard goes straight into the new build: client/dashboard/dist belongs to `vite build` runs of the tests.
  run('vite', ['build', '--config', 'client/dashboard/vite.config.ts', '--outDir', join(next, 'client/dashboard/dist'), '--emptyOutDir']);
  run('tsc', ['-p', 'tsconfig.build.json', '--outDir', next]);
  copyAssets(next);
  writeFileSync(join(next, '.build-hash'), hash);
  const previous = `${out}.previous-${process.pid}`;
  if (existsSync(out)) renameSync(out, previous);
  renameSync(next, out);
  rmSync(previous, { recursive: true, force: true });
}

const hash = inputHash();
const upToDate = existsSync(hashFile) && readFileSync(hashFile, 'utf8') === hash;
if (process.argv.includes('--if-stale') && upToDate) process.exit(0);
build(hash);
