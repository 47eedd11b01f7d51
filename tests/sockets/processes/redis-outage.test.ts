import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, postGraphQL } from '../../support/clients.js';
import { RECORD, activity } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { spawnRedis, type SpawnedRedis } from '../../support/redis-server.js';
import { waitUntil } from '../../support/wait.js';

describe('when Redis goes away', () => {
  let redis: SpawnedRedis;
  let pulse: TestPulse;
  let ingest: string;

  beforeAll(async () => {
    redis = await spawnRedis();
    pulse = await startTestPulse({ backend: 'redis', env: { REDIS_URL: redis.url } });
    ingest = await pulse.token('app', ['ingest']);
  });
  afterAll(async () => {
    await pulse.close();
    await redis.stop();
  });

  const record = () => postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(`s-${randomUUID()}`, 'u') });
  const redisErrors = async (operation: string): Promise<number | undefined> =>
    sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_redis_errors_total', { operation });

  it('fails writes fast with SERVICE_UNAVAILABLE, keeps serving, and recovers by itself', async () => {
    expect((await record()).body.errors).toBeUndefined();
    await redis.stop();

    const started = Date.now();
    const failed = await record();
    expect(errorCode(failed.body)).toBe('SERVICE_UNAVAILABLE');
    expect(failed.body.errors?.[0]?.message).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${pulse.url}/healthz`)).status).toBe(200);
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 503, 5_000, { what: '/readyz reports not ready' });
    expect(await redisErrors('record')).toBe(1);
    await waitUntil(async () => ((await redisErrors('bus')) ?? 0) > 0, 5_000, { what: 'the lost pub/sub connection to be counted' });

    await redis.restart();
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 200, 10_000, { what: '/readyz reports ready again' });
    expect((await record()).body.errors).toBeUndefined();
  });
});
