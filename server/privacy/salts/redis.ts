import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { saltExpiry, type Day, type SaltStore } from './types.js';

/** What the Redis engine needs: a connection, and where each day's salt lives. */
export interface RedisSaltStoreOptions {
  /** One Redis or a Cluster client: a salt is one key, routed by itself. */
  readonly redis: Redis | Cluster;
  /** The key of one day's salt (see `redisKeys`). */
  readonly keyOf: (day: Day) => string;
}

/**
 * The Redis engine of {@link SaltStore}, shared by every process: one key
 * per day, created with `SET … NX GET PXAT` (Redis 7) so that the first
 * writer wins and everyone else reads its salt in the same round trip; the
 * key expires by itself at the salt's deletion time.
 */
export function createRedisSaltStore({ redis, keyOf }: RedisSaltStoreOptions): SaltStore {
  return {
    async saltOf(day) {
      const mine = randomBytes(32).toString('hex');
      const theirs = await redis.call('SET', keyOf(day), mine, 'NX', 'GET', 'PXAT', String(saltExpiry(day)));
      // SET … PXAT in the past stores nothing: such a day's salt is a throwaway, as in memory.
      return Buffer.from(typeof theirs === 'string' ? theirs : mine, 'hex');
    },
    close() {},
  } satisfies SaltStore;
}
