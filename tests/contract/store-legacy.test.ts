import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../server/domain/activity.js';
import { redisKeys, type RedisKeys } from '../../server/redis/keys.js';
import { createRedisStore } from '../../server/store/redis.js';
import type { ActivityStore } from '../../server/store/types.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

/**
 * The Redis store keeps each session as its JSON in one STRING. Earlier
 * versions kept a HASH of its fields: a Redis they wrote must go on working,
 * each such session read as it was and rewritten as JSON by its next write.
 * Redis only: the memory store has no stored form.
 */

const T0 = 1_700_000_000_123;
const NOW = T0 + 1_000;

/** What an earlier version's record.lua left for one session: its hash, its entries in the indexes, the user's name. */
async function writeLegacySession(redis: Redis, keys: RedisKeys, s: SessionRecord): Promise<void> {
  const fields: Record<string, string> = { userId: s.userId, startedAt: String(s.startedAt), lastSeen: String(s.lastSeen), eventCount: String(s.eventCount) };
  for (const field of ['userName', 'ipAddress', 'path', 'userAgent'] as const) {
    const value = s[field];
    if (value !== null) fields[field] = value;
  }
  await redis
    .multi()
    .hset(keys.session(s.id), fields)
    .zadd(keys.sessionsByLastSeen, s.lastSeen, s.id)
    .zadd(keys.userSessions(s.userId), s.lastSeen, s.id)
    .zadd(keys.usersByLastSeen, s.lastSeen, s.userId)
    .hset(keys.userNames, s.userId, s.userName ?? '')
    .zincrby(keys.pathCounts, 1, s.path ?? '')
    .exec();
}

describe('Redis store: sessions an earlier version stored as hashes', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let store: ActivityStore;
  const legacy: SessionRecord = {
    id: 'old-s',
    userId: 'old-u',
    userName: 'Ada "the first"',
    ipAddress: null,
    path: '/old/path',
    userAgent: 'UA/1',
    startedAt: T0,
    lastSeen: T0,
    eventCount: 3,
  };

  beforeEach(async () => {
    redis = connectTestRedis();
    keys = redisKeys(uniquePrefix('store-legacy'));
    store = createRedisStore({ redis, keys });
    await writeLegacySession(redis, keys, legacy);
  });

  afterEach(async () => {
    await store.close();
    await redis.quit();
  });

  it('lists a legacy session as it was', async () => {
    const page = await store.activeUsers({ first: 10 });
    expect(page.edges.map((edge) => edge.node)).toEqual([{ id: 'old-u', name: legacy.userName, lastSeen: T0, sessionCount: 1, sessions: [legacy] }]);
  });

  it('updates a legacy session in place, not as a new one, and stores it as JSON from then on', async () => {
    const [result] = await store.record([{ sessionId: 'old-s', userId: 'old-u', userName: null, ipAddress: '10.0.0.1', path: '/new', userAgent: null, at: T0 + 5 }], NOW);
    const updated = { ...legacy, ipAddress: '10.0.0.1', path: '/new', lastSeen: T0 + 5, eventCount: 4 };
    expect(result?.session).toEqual(updated);
    expect(await redis.type(keys.session('old-s'))).toBe('string');
    expect((await store.stats(NOW, 10)).topPaths).toEqual([{ path: '/new', sessions: 1 }]);
    expect((await store.activeUsers({ first: 10 })).edges[0]?.node.sessions).toEqual([updated]);
  });

  it("refuses a batch giving a legacy session to another user, as it would a JSON one's", async () => {
    await expect(store.recordCount([{ sessionId: 'old-s', userId: 'thief', userName: null, ipAddress: null, path: null, userAgent: null, at: T0 + 5 }], NOW)).rejects.toMatchObject({
      name: 'SessionUserMismatchError',
    });
    expect(await redis.type(keys.session('old-s'))).toBe('hash');
  });

  it('ends a legacy session, leaving nothing of it', async () => {
    expect(await store.endSession('old-s', NOW)).toEqual(legacy);
    expect(await redis.exists(keys.session('old-s'), keys.userSessions('old-u'))).toBe(0);
    expect(await store.stats(NOW, 10)).toMatchObject({ activeUsers: 0, activeSessions: 0, topPaths: [] });
  });
});
