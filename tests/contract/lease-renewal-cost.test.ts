import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRedisLeases } from '../../server/leases/redis.js';
import { redisKeys } from '../../server/redis/keys.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

describe('Redis lease renewal cost', () => {
  const redis = connectTestRedis();
  afterAll(() => redis.quit());

  it('is one script call per period whose size depends on the holders, not on the number of leases', async () => {
    const keys = redisKeys(uniquePrefix('renewal'));
    const leases = createRedisLeases({ redis, keys, ttlMs: 600, renewEveryMs: 100 });
    for (let i = 0; i < 300; i++) expect(await leases.acquire(i % 2 ? 'alice' : 'bob', 1000)).not.toBeNull();
    const calls = vi.spyOn(redis, 'evalsha');
    await waitUntil(() => calls.mock.calls.length >= 3, 5_000, { what: 'three renewals' });
    const sizes = calls.mock.calls.map((args) => args.length);
    calls.mockRestore();
    // sha, key count, the heartbeat and two keys per holder, then ttl, process id and one lease id per holder.
    expect(new Set(sizes)).toEqual(new Set([2 + 5 + 4]));
    expect(await leases.count('alice')).toBe(150);
    expect(await redis.zcard(keys.leases('bob'))).toBe(150);
    await leases.close();
    expect(await redis.exists(keys.leases('alice'), keys.leases('bob'))).toBe(0);
  });
});
