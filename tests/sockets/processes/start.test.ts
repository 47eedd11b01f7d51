import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode, postGraphQL } from '../../support/clients.js';
import { RECORD, STATS, activity } from '../../support/operations.js';
import { logLines, runPulseToExit, spawnPulse, type ChildEnv, type PulseProcess } from '../../support/pulse-process.js';

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

/** Holds a port on `host`, so that a Pulse which tried to listen there would fail with EADDRINUSE instead of exiting as refused. */
async function holdPort(host: string): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, server };
}

describe('no secret, no service, outside dev mode', () => {
  const refused = async (host: string, env: ChildEnv): Promise<void> => {
    const held = await holdPort(host);
    try {
      const result = await runPulseToExit({ JWT_SECRET: undefined, LOG_LEVEL: 'info', HOST: host, PORT: String(held.port), ...env });
      expect(result.code).toBe(2);
      const lines = result.stderr.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^JWT_SECRET is not set/);
      // Nothing was started: no log line, no banner, no token anywhere, and no listen (which would have met the held port).
      expect(result.stdout).toBe('');
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/eyJ|EADDRINUSE|listening/);
    } finally {
      held.server.close();
    }
  };

  it('exits 2 with one line naming JWT_SECRET, before listening, when NODE_ENV=production', async () => {
    await refused('127.0.0.1', { NODE_ENV: 'production' });
  });

  it('exits 2 with one line naming JWT_SECRET, before listening, when HOST=0.0.0.0', async () => {
    await refused('0.0.0.0', { NODE_ENV: 'development' });
  });

  // The Redis URL is never dialled and no worker is forked (stdout stays empty of 'worker starting'): the refusal comes first.
  it('refuses in the primary, before forking any worker, with WORKERS=2 on HOST=0.0.0.0', async () => {
    await refused('0.0.0.0', { WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:1' });
  });

  it('refuses in the primary, before forking any worker, with WORKERS=2 and NODE_ENV=production', async () => {
    await refused('127.0.0.1', { NODE_ENV: 'production', WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:1' });
  });

  it('serves on every interface in production with JWT_SECRET: no token printed or prefilled, /metrics hidden without METRICS_TOKEN', async () => {
    const pulse = await spawnPulse({ JWT_SECRET: 's'.repeat(32), NODE_ENV: 'production', HOST: '0.0.0.0', LOG_LEVEL: 'info', REDIS_URL: undefined });
    try {
      const url = pulse.url.replace('0.0.0.0', '127.0.0.1');
      expect(pulse.stdout()).not.toContain('eyJ');
      expect(pulse.stdout()).toContain('npm run token');
      const graphiql = await (await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } })).text();
      // The page is 9 MB of bundle (which contains "eyJ" by chance): look at the prefilled header only.
      expect(graphiql.includes('Bearer <paste an admin token>'), 'placeholder in GraphiQL').toBe(true);
      expect(/Bearer eyJ/.test(graphiql), 'a token in GraphiQL').toBe(false);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      const warned = logLines(pulse.stdout()).find((line) => line.level === 40 && String(line.msg).includes('/metrics answers 404'));
      expect(warned).toBeDefined();
    } finally {
      await pulse.stop();
    }
  });
});
