import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { redisKeys } from '../../../server/redis/keys.js';
import { subscribe, TRANSPORTS, type Subscription } from '../../support/clients.js';
import { ACTIVITY } from '../../support/operations.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { connectTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';

const GRACE_MS = 5_000;

describe('SIGTERM on a Redis-backed Pulse', () => {
  const secret = randomBytes(32).toString('base64url');
  const prefix = uniquePrefix('shutdown');
  const admin = `admin-${randomUUID()}`;
  const redis = connectTestRedis();
  let pulse: PulseProcess;
  const subs: Subscription[] = [];

  beforeAll(async () => {
    pulse = await spawnPulse({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, JWT_SECRET: secret, SHUTDOWN_GRACE_MS: String(GRACE_MS), MAX_SUBSCRIPTIONS_PER_ADMIN: '5' });
  });
  afterAll(async () => {
    subs.forEach((sub) => sub.dispose());
    await pulse.stop();
    redis.disconnect();
  });

  it('drops every stream without complete, releases its leases and exits 0 within SHUTDOWN_GRACE_MS', async () => {
    const token = await mintToken({ secret, sub: admin, roles: ['admin'] });
    for (const transport of TRANSPORTS) subs.push(subscribe(transport, { graphqlUrl: `${pulse.url}/graphql`, token }, ACTIVITY));
    for (const sub of subs) expect((await sub.results.next()).data?.activityChanged).toMatchObject({ __typename: 'Snapshot' });
    expect(await redis.zcard(redisKeys(prefix).leases(admin))).toBe(TRANSPORTS.length);

    const exited = once(pulse.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const started = Date.now();
    pulse.child.kill('SIGTERM');
    // retryAttempts is 0 in these clients: a dropped connection is an error; a `complete` would end `finished` with no error.
    const failures = await Promise.all(subs.map((sub) => sub.errors.next(GRACE_MS, 'the dropped connection')));
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(GRACE_MS);
    subs.forEach((sub) => expect(sub.results.ended, 'no complete').toBe(false));
    const wsClose = failures[TRANSPORTS.indexOf('ws')] as { code?: unknown };
    expect(typeof wsClose.code).toBe('number');
    expect(wsClose.code).not.toBe(1000);
    expect(await redis.zcard(redisKeys(prefix).leases(admin))).toBe(0);
  });
});
