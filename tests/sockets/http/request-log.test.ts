import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../server/observability/logger.js';
import { subscribe } from '../../support/clients.js';
import { ACTIVITY, STATS } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';

type Line = Record<string, unknown>;

/**
 * Logs through the real code path (the process logger `main` builds, at
 * `trace` so Yoga's own debug lines are included) and keeps the raw text,
 * so a secret anywhere in any line is found.
 */
describe('request logs', () => {
  const raw: string[] = [];
  const lines = (): Line[] => raw.map((line) => JSON.parse(line) as Line);
  let pulse: TestPulse;
  let admin: string;

  beforeAll(async () => {
    pulse = await startTestPulse({ logger: createLogger('trace', { destination: { write: (line: string) => void raw.push(line) } }) });
    admin = await pulse.token('log-admin', ['admin']);
  });
  afterAll(() => pulse.close());

  const post = (token: string, requestId: string, query: string): Promise<Response> =>
    fetch(pulse.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, cookie: `session=${token}`, 'x-request-id': requestId },
      body: JSON.stringify({ query }),
    });

  it('describes the config at start, with whether the secret is set but never the secret itself', () => {
    const started = lines().find((line) => line.msg === 'pulse listening');
    expect(started?.config).toEqual(expect.stringContaining('auth=HS256/JWT_SECRET'));
    expect(started?.config).toEqual(expect.stringContaining('backend=memory'));
    expect(raw.join('\n')).not.toContain(pulse.secret);
  });

  it('writes one line per request with its id, and never the bearer token', async () => {
    expect((await post(admin, 'log-ok-1', STATS)).status).toBe(200);
    expect((await post(`${admin}x`, 'log-refused-1', STATS)).status).toBe(401);
    const sub = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token: admin }, ACTIVITY);
    await sub.results.next();
    sub.dispose();

    expect(lines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          msg: 'http request',
          requestId: 'log-ok-1',
          req: expect.objectContaining({ method: 'POST', path: '/graphql' }),
          res: { statusCode: 200 },
        }),
        expect.objectContaining({ msg: 'http request', requestId: 'log-refused-1', res: { statusCode: 401 } }),
      ]),
    );
    const text = raw.join('');
    const signature = admin.split('.')[2] as string;
    expect(signature.length).toBeGreaterThan(20);
    expect(text).not.toContain(signature);
    expect(text).not.toContain(admin);
  });

  it('keeps addresses and user agents out of every line above debug', async () => {
    const agent = 'Secret-Agent/7.7 (personal)';
    const address = '198.51.100.23';
    const personal = { 'user-agent': agent, 'x-forwarded-for': address };
    const sent = await fetch(pulse.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'x-request-id': 'log-personal-1', ...personal },
      body: JSON.stringify({ query: STATS }),
    });
    expect(sent.status).toBe(200);
    expect((await fetch(`${pulse.url}/healthz`, { headers: { 'x-request-id': 'log-personal-2', ...personal } })).status).toBe(200);
    const request = lines().find((line) => line.requestId === 'log-personal-1');
    expect(request).toMatchObject({ level: 30, req: { headers: { 'content-type': 'application/json' } } });
    const aboveDebug = lines().filter((line) => (line.level as number) > 20);
    expect(JSON.stringify(aboveDebug)).not.toContain(agent);
    expect(JSON.stringify(aboveDebug)).not.toContain(address);
    // A probe's line is at debug, where they may be shown.
    expect(lines().find((line) => line.requestId === 'log-personal-2')).toMatchObject({ level: 20, req: { headers: personal } });
  });

  it("logs a resolver's backend failure under the request's id", async () => {
    const failing = vi.spyOn(pulse.services.store, 'stats').mockRejectedValueOnce(new Error('connection lost'));
    try {
      const response = await post(admin, 'log-failing-1', STATS);
      const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      failing.mockRestore();
    }
    expect(lines().filter((line) => line.msg === 'backend call failed')).toEqual([
      expect.objectContaining({ requestId: 'log-failing-1', operation: 'read_stats', err: expect.objectContaining({ message: 'connection lost' }) }),
    ]);
  });
});

describe('request logs when addresses are masked (IP_MODE=truncate)', () => {
  const raw: string[] = [];
  const lines = (): Line[] => raw.map((line) => JSON.parse(line) as Line);
  let pulse: TestPulse;

  beforeAll(async () => {
    const logger = createLogger('trace', { destination: { write: (line: string) => void raw.push(line) } });
    pulse = await startTestPulse({ logger, env: { IP_MODE: 'truncate' } });
  });
  afterAll(() => pulse.close());

  it("leaves a proxy's x-forwarded-for (the visitor's own address) off even the debug lines", async () => {
    const address = '198.51.100.24';
    const headers = { 'user-agent': 'Probe/1', 'x-forwarded-for': address, 'x-request-id': 'log-masked-1' };
    expect((await fetch(`${pulse.url}/healthz`, { headers })).status).toBe(200);
    expect(lines().find((line) => line.requestId === 'log-masked-1')).toMatchObject({ level: 20, req: { headers: { 'user-agent': 'Probe/1' } } });
    expect(raw.join('')).not.toContain(address);
  });

  it("redacts a failed Redis command's arguments, which are the records themselves", () => {
    const logger = createLogger('error', { destination: { write: (line: string) => void raw.push(line) } });
    const failure = Object.assign(new Error('READONLY'), { command: { name: 'evalsha', args: ['sha', '1', '{"userName":"Ada Secret"}'] } });
    logger.error({ err: failure }, 'backend call failed');
    expect(raw.at(-1)).toContain('evalsha');
    expect(raw.at(-1)).not.toContain('Ada Secret');
  });
});
