import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { END_SESSION, RECORD, activity } from '../../support/operations.js';
import { postGraphQL } from '../../support/clients.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { connectTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { findInRedis } from '../../support/redis-scan.js';
import { waitUntil } from '../../support/wait.js';

/**
 * Retention seen from outside: a Pulse process on Redis with the shortest
 * history age allowed, a session recorded and ended (by logout, and by idle
 * expiry), then every key and stream entry under the deployment's prefix
 * scanned for the person's name, address, agent and path until none is left.
 */

const MAX_AGE_MS = 1000;
const SWEEP_MS = 100;
/** What a loaded two-core run may add to a sweep's schedule; the bound itself is MAX_AGE_MS. */
const SCHEDULING_SLACK_MS = 2000;

describe('retention on Redis: nothing personal of an ended session outlives HISTORY_MAX_AGE_MS', () => {
  const secret = randomBytes(32).toString('base64url');
  const prefix = uniquePrefix('retention');
  let pulse: PulseProcess;
  let redis: Redis;

  beforeAll(async () => {
    pulse = await spawnPulse({
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: prefix,
      JWT_SECRET: secret,
      HISTORY_MAX_AGE_MS: String(MAX_AGE_MS),
      SWEEP_INTERVAL_MS: String(SWEEP_MS),
      IDLE_TIMEOUT_MS: '1000',
    });
    redis = connectTestRedis();
  });
  afterAll(async () => {
    await pulse?.stop();
    await redis?.quit();
  });

  const record = async (sessionId: string, fields: Record<string, string>): Promise<void> => {
    const { body } = await postGraphQL(`${pulse.url}/graphql`, await mintToken({ secret, sub: 'app', roles: ['ingest'] }), RECORD, {
      input: activity(sessionId, `user-${randomUUID()}`, fields),
    });
    expect(body.errors).toBeUndefined();
  };

  /** Waits until no key or entry holds any of `needles`; resolves with how long after `since` that was. */
  const goneAfter = async (needles: string[], since: number): Promise<number> => {
    await waitUntil(async () => (await findInRedis(redis, `${prefix}*`, needles)).length === 0, MAX_AGE_MS + SCHEDULING_SLACK_MS + 5000, {
      intervalMs: 50,
      what: 'the personal fields to leave Redis',
    });
    return Date.now() - since;
  };

  const personalFields = () => {
    const tag = randomUUID();
    return { userName: `Name ${tag}`, ipAddress: `2001:db8:${tag.slice(0, 4)}::23`, userAgent: `Agent/${tag}`, path: `/retention/${tag}` };
  };

  it('forgets a logged-out session within the bound', async () => {
    const fields = personalFields();
    const sessionId = `s-${randomUUID()}`;
    await record(sessionId, fields);
    const { body } = await postGraphQL(`${pulse.url}/graphql`, await mintToken({ secret, sub: 'app', roles: ['ingest'] }), END_SESSION, { id: sessionId });
    expect(body.data).toEqual({ endSession: true });
    const ended = Date.now();
    const needles = [fields.userName, fields.ipAddress, fields.userAgent, fields.path];
    // The ended session is still in the history, so the scan can see it: the wait below means something.
    expect(await findInRedis(redis, `${prefix}*`, needles)).not.toEqual([]);
    expect(await goneAfter(needles, ended)).toBeLessThanOrEqual(MAX_AGE_MS + SCHEDULING_SLACK_MS);
  });

  it('forgets an idle-expired session within the bound after it ended', async () => {
    const fields = personalFields();
    await record(`s-${randomUUID()}`, fields);
    const needles = [fields.userName, fields.ipAddress, fields.userAgent, fields.path];
    const recorded = Date.now();
    // Idle expiry ends it about IDLE_TIMEOUT_MS after its last event; the history keeps it MAX_AGE_MS more at most.
    expect(await goneAfter(needles, recorded)).toBeLessThanOrEqual(1000 + SWEEP_MS + MAX_AGE_MS + SCHEDULING_SLACK_MS);
  });
});
