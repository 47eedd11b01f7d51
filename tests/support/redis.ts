import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** The shared test Redis's URL (see global-setup.ts). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix no other suite uses, so suites can share one Redis and run in parallel. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** A new ioredis client on the shared test Redis; the caller quits it. */
export function connectTestRedis(url = testRedisUrl()): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
}
