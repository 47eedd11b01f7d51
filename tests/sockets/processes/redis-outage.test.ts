import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, postGraphQL } from '../../support/clients.js';
import { RECORD, activity } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { REDIS_DEPLOYMENTS, startStoppableRedis, type StoppableRedis } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

/** On a cluster, Redis going away is one master stopping: with no replica, its slots go unserved, and the cluster refuses all. */
describe.each(REDIS_DEPLOYMENTS)('when Redis goes away (%s)', (kind) => {
  let redis: StoppableRedis;
  let pulse: TestPulse;
  let ingest: string;

  beforeAll(async () => {
    redis = await startStoppableRedis(kind);
    pulse = await startTestPulse({ env: redis.env });
    ingest = await pulse.token('app', ['ingest']);
  }, 60_000);
  afterAll(async () => {
    await pulse?.close();
    await redis?.dispose();
  });

  // Users of every partition: on a cluster, one of them lives on the stopped master.
  const record = (user = 'u') => postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(`s-${randomUUID()}`, user) });
  const recordForEveryPartition = () => Promise.all(Array.from({ length: 40 }, (_, i) => record(`u${i}`)));
  const redisErrors = async (operation: string): Promise<number | undefined> =>
    sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_redis_errors_total', { operation });

  it('fails writes fast with SERVICE_UNAVAILABLE, keeps serving, and recovers by itself', async () => {
    expect((await pulse.backends.isReady())).toBe(true);
    for (const { body } of await recordForEveryPartition()) expect(body.errors).toBeUndefined();
    // A listener, as a subscriber's stream would hold: a cluster's feed subscribes its channels on the first one only.
    const unsubscribe = await pulse.backends.bus.subscribe(() => {});
    await redis.stop();

    const started = Date.now();
    const failed = (await recordForEveryPartition()).map(({ body }) => body).filter((body) => body.errors !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    for (const body of failed) {
      expect(errorCode(body)).toBe('SERVICE_UNAVAILABLE');
      expect(body.errors?.[0]?.message).not.toMatch(/ECONNREFUSED|CLUSTERDOWN|at .*\.ts/);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${pulse.url}/healthz`)).status).toBe(200);
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 503, 5_000, { what: '/readyz reports not ready' });
    expect(await redisErrors('record')).toBe(failed.length);
    await waitUntil(async () => ((await redisErrors('bus')) ?? 0) > 0, 5_000, { what: 'the lost pub/sub connection to be counted' });

    await redis.start();
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 200, 15_000, { what: '/readyz reports ready again' });
    for (const { body } of await recordForEveryPartition()) expect(body.errors).toBeUndefined();
    unsubscribe();
  });
});
