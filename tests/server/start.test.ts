import { afterAll, describe, expect, it } from 'vitest';
import { errorCode, postGraphQL } from '../support/clients.js';
import { RECORD, STATS, activity } from '../support/operations.js';
import { runPulseToExit, spawnPulse, type PulseProcess } from '../support/pulse-process.js';

describe('starting Pulse as `npm start` does', () => {
  const started: PulseProcess[] = [];
  afterAll(() => Promise.all(started.map((p) => p.stop())));

  it('runs in memory with no setup and prints the URL, dev tokens and the dashboard link as plain lines', async () => {
    const pulse = await spawnPulse({ JWT_SECRET: undefined, REDIS_URL: undefined });
    started.push(pulse);
    const out = pulse.stdout();
    expect(out.includes('\u001b[')).toBe(false);
    expect(out).toContain('in memory');
    const admin = /^Admin token:\s+(\S+)$/m.exec(out)?.[1];
    const ingest = /^Ingest token:\s+(\S+)$/m.exec(out)?.[1];
    expect(out).toMatch(new RegExp(`^${pulse.url.replace(/[.]/g, '\\.')}/#token=${admin}$`, 'm'));
    expect(out).toContain(`${pulse.url}/graphql`);

    const recorded = await postGraphQL(`${pulse.url}/graphql`, ingest ?? null, RECORD, { input: activity('s1', 'alice') });
    expect(recorded.body.errors).toBeUndefined();
    const stats = await postGraphQL(`${pulse.url}/graphql`, admin ?? null, STATS);
    expect(stats.body.data?.stats).toMatchObject({ activeSessions: 1, activeUsers: 1 });
    expect(errorCode((await postGraphQL(`${pulse.url}/graphql`, ingest ?? null, STATS)).body)).toBe('FORBIDDEN');
  });

  it('serves a page at / and GraphiQL at /graphql', async () => {
    const pulse = started[0] ?? (await spawnPulse({ JWT_SECRET: undefined, REDIS_URL: undefined }));
    const root = await fetch(`${pulse.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('Pulse');
    const graphiql = await fetch(`${pulse.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('GraphiQL');
  });

  it('refuses bad settings with one clear line each, and exits 2', async () => {
    const result = await runPulseToExit({ PORT: 'eighty', IDLE_TIMEOUT_MS: '-5', JWT_SECRET: 'short' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).toMatch(/IDLE_TIMEOUT_MS/);
    expect(result.stderr).toMatch(/JWT_SECRET/);
    expect(result.stderr).not.toContain('short');
  });

  it('exits 1 with a message when the configured Redis cannot be reached', async () => {
    const result = await runPulseToExit({ REDIS_URL: 'redis://127.0.0.1:1', JWT_SECRET: 'x'.repeat(32) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Redis/);
  });
});
