import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { COMPILED_ENTRY, logLines, spawnPulse, type PulseProcess } from '../../support/pulse-process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET = 'production-build-test-secret-0123456789';

/**
 * `npm start` in production: compiled JavaScript under plain `node`. The
 * guard loaded before it fails the start if Pulse's own code loads a `.ts`
 * file or a devDependency, which is what `npm prune --omit=dev` would expose.
 */
describe('the production build', () => {
  let pulse: PulseProcess;

  beforeAll(async () => {
    // What `npm start` runs first: builds only when a source changed since the last build.
    execFileSync(process.execPath, ['server/cli/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'pipe' });
    pulse = await spawnPulse({ NODE_ENV: 'production', JWT_SECRET: SECRET, REDIS_URL: undefined, LOG_LEVEL: 'info' }, [], COMPILED_ENTRY);
  }, 240_000);
  afterAll(() => pulse?.stop());

  it('serves GraphQL from compiled JavaScript with no TypeScript and no devDependency loaded', async () => {
    const token = await mintToken({ secret: SECRET, sub: 'prod-admin', roles: ['admin'] });
    const response = await fetch(`${pulse.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ stats { activeSessions } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { stats: { activeSessions: 0 } } });
  });

  it('serves the dashboard built once by npm run build', async () => {
    const page = await fetch(`${pulse.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${pulse.url}${script}`)).status).toBe(200);
  });

  it('logs JSON and prints no token', () => {
    expect(logLines(pulse.stdout()).length).toBeGreaterThan(0);
    expect(pulse.stdout()).not.toMatch(/eyJ/);
  });

  it('is up to date afterwards: a second build check rebuilds nothing', () => {
    const built = (): number => statSync(`${ROOT}/dist/.build-hash`).mtimeMs;
    const before = built();
    execFileSync(process.execPath, ['server/cli/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'pipe' });
    expect(built()).toBe(before);
  });

  it('has a guard that would catch a devDependency or a .ts file loaded from dist/', () => {
    const probe = `${ROOT}/dist/guard-probe.mjs`;
    for (const [source, expected] of [
      ["import 'fast-check';", /imports the devDependency fast-check/],
      ["import '../server/core/clock.ts';", /is TypeScript/],
    ] as const) {
      writeFileSync(probe, source);
      try {
        const run = spawnSync(process.execPath, [...COMPILED_ENTRY.slice(0, 2), probe], { cwd: ROOT, encoding: 'utf8' });
        expect(run.status).not.toBe(0);
        expect(run.stderr).toMatch(expected);
      } finally {
        rmSync(probe, { force: true });
      }
    }
  });
});
