import type { Redis } from 'ioredis';
import { createMemoryFeed } from '../../server/bus/memory.js';
import { parseChanges } from '../../server/domain/change-codec.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { redisKeys, type RedisKeys } from '../../server/redis/keys.js';
import { createMemoryStore } from '../../server/store/memory.js';
import { createRedisStore } from '../../server/store/redis.js';
import { DEFAULT_HISTORY, type ActivityStore, type HistoryOptions } from '../../server/store/types.js';
import { EventQueue } from './event-queue.js';
import { connectTestRedis, uniquePrefix } from './redis.js';

/** One change as another process receives it: parsed, and the JSON it came as (to search for personal data). */
export interface PublishedChange {
  readonly change: ActivityChange;
  readonly json: string;
}

/** Where a Redis engine keeps its data, for scanning it. */
export interface RedisSide {
  readonly client: Redis;
  readonly keys: RedisKeys;
  /** Every key of this engine starts with it. */
  readonly prefix: string;
}

/**
 * An ActivityStore engine for a contract suite: `store` and `peer` share
 * one deployment's data (memory: the same store; Redis: two connections, as
 * two processes), and `published` receives every change the way another
 * process does (the memory feed, or a subscriber on the Redis channel).
 */
export interface StoreEngine {
  readonly store: ActivityStore;
  readonly peer: ActivityStore;
  readonly published: EventQueue<PublishedChange>;
  /** What the stores' `onPublished` hooks reported, in order. */
  readonly reported: number[];
  /** Null on the memory engine. */
  readonly redis: RedisSide | null;
  close(): Promise<void>;
}

/** Options of the engine factories. */
export interface StoreEngineOptions {
  /** @defaultValue DEFAULT_HISTORY */
  readonly history?: HistoryOptions;
  /** The Redis to use (a suite's own, to count its commands). @defaultValue the shared test Redis */
  readonly redisUrl?: string;
  /** Names the suite in its key prefix. @defaultValue 'store' */
  readonly label?: string;
}

/** The memory engine. */
export async function memoryEngine({ history = DEFAULT_HISTORY }: StoreEngineOptions = {}): Promise<StoreEngine> {
  const { feed, deliver } = createMemoryFeed();
  const published = new EventQueue<PublishedChange>();
  await feed.subscribe((change) => published.push({ change, json: JSON.stringify(change) }));
  const reported: number[] = [];
  const store = createMemoryStore({ deliver, history, onPublished: (count) => reported.push(count) });
  return { store, peer: store, published, reported, redis: null, close: () => feed.close() };
}

/** The Redis engine, under a key prefix of its own. */
export async function redisEngine({ history = DEFAULT_HISTORY, redisUrl, label = 'store' }: StoreEngineOptions = {}): Promise<StoreEngine> {
  const prefix = uniquePrefix(label);
  const keys = redisKeys(prefix);
  const [client, peerClient, subscriber] = [connectTestRedis(redisUrl), connectTestRedis(redisUrl), connectTestRedis(redisUrl)];
  const published = new EventQueue<PublishedChange>();
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.changesChannel) return;
    try {
      const raw = JSON.parse(message) as unknown[];
      parseChanges(message).forEach((change, i) => published.push({ change, json: JSON.stringify(raw[i]) }));
    } catch (error) {
      published.fail(error);
    }
  });
  await subscriber.subscribe(keys.changesChannel);
  const reported: number[] = [];
  const onPublished = (count: number): number => reported.push(count);
  const store = createRedisStore({ redis: client, keys, history, onPublished });
  const peer = createRedisStore({ redis: peerClient, keys, history, onPublished });
  const close = async (): Promise<void> => {
    const found = await client.keys(`${prefix}*`);
    if (found.length > 0) await client.del(...found);
    await Promise.all([client.quit(), peerClient.quit(), subscriber.quit()]);
  };
  return { store, peer, published, reported, redis: { client, keys, prefix }, close };
}

/** Both engines, for `describe.each`. */
export const STORE_ENGINES = [
  { engine: 'memory', make: memoryEngine },
  { engine: 'redis', make: redisEngine },
] as const;

/** The next `count` published changes, waiting for each (up to 5 s apiece, so that a missing one fails with a message). */
export async function nextPublished(engine: StoreEngine, count: number): Promise<PublishedChange[]> {
  const taken: PublishedChange[] = [];
  for (let i = 0; i < count; i++) taken.push(await engine.published.next(5_000, `published change ${i + 1} of ${count}`));
  return taken;
}
