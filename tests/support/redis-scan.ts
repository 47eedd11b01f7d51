import type { Redis } from 'ioredis';

/** One place a value was found: the key, and for a stream the entry id. */
export interface ScanHit {
  readonly key: string;
  readonly entry?: string;
}

/**
 * Every key under `pattern` (SCAN, so a shared test Redis is not blocked)
 * with everything it holds as text: strings, hash fields and values, list,
 * set and sorted-set members, and each stream entry's fields and values.
 * Returns where any of `needles` occurs, so a test can assert that a
 * person's name, address or user agent is nowhere in Redis.
 */
export async function findInRedis(redis: Redis, pattern: string, needles: readonly string[]): Promise<ScanHit[]> {
  const hits: ScanHit[] = [];
  const holds = (texts: readonly string[]): boolean => texts.some((text) => needles.some((needle) => text.includes(needle)));
  for (const key of await scanKeys(redis, pattern)) {
    if (holds([key])) hits.push({ key });
    const type = await redis.type(key);
    if (type === 'stream') {
      for (const [id, fields] of await redis.xrange(key, '-', '+')) {
        if (holds(fields)) hits.push({ key, entry: id });
      }
      continue;
    }
    if (holds(await valuesOf(redis, key, type))) hits.push({ key });
  }
  return hits;
}

/** Every key matching `pattern`. */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

async function valuesOf(redis: Redis, key: string, type: string): Promise<string[]> {
  switch (type) {
    case 'string':
      return [(await redis.get(key)) ?? ''];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).flat();
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return redis.smembers(key);
    case 'zset':
      return redis.zrange(key, 0, -1);
    case 'none':
      return []; // expired between SCAN and TYPE
    default:
      throw new Error(`findInRedis: no reader for a ${type} at ${key}`);
  }
}
