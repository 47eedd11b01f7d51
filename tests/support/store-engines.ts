import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createMemoryFeed } from '../../server/bus/memory.js';
import { parseChanges } from '../../server/domain/change-codec.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { changeChannels, redisKeys, type RedisKeys } from '../../server/redis/keys.js';
import { createMemoryStore } from '../../server/store/memory.js';
import { createPartitionedRedisStore } from '../../server/store/partitioned.js';
import { DEFAULT_HISTORY, type ActivityStore, type HistoryOptions } from '../../server/store/types.js';
import { EventQueue } from './event-queue.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from './redis-cluster.js';
import { findInRedis, type ScanHit } from './redis-scan.js';
import { connectTestRedis, uniquePrefix } from './redis.js';

/** One change as another process receives it: parsed, and the JSON it came as (to search for personal data). */
export interface PublishedChange {
  /** With its `partition` when the engine has several (set from the channel, as a change feed does). */
  readonly change: ActivityChange;
  readonly json: string;
}

/** Where a Redis engine keeps its data, for scanning it. */
export interface RedisSide {
  /** The command connection: one Redis, or a Cluster client. */
  readonly client: Redis | Cluster;
  /** The deployment's keys; the store's are those of partition 0 only when there is one partition. */
  readonly keys: RedisKeys;
  /** Every key of this engine starts with it. */
  readonly prefix: string;
  /** One plain connection per node holding data (the one Redis, or each master), to scan; quit by `close`. */
  readonly nodes: readonly Redis[];
  /** Deletes every key of this engine, on every node, as FLUSHALL would (the test Redis is shared: no FLUSHALL). */
  flush(): Promise<void>;
}

/**
 * An ActivityStore engine for a contract suite: `store` and `peer` share
 * one deployment's data (memory: the same store; Redis: two connections, as
 * two processes), and `published` receives every change the way another
 * process does (the memory feed, or a subscriber on every partition's channel).
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
  /** Told each batch of changes as published, with the partition whose channel carried it. */
  readonly onBatch?: (partition: number, message: string) => void;
}

/** The memory engine. */
export async function memoryEngine({ history = DEFAULT_HISTORY, onBatch }: StoreEngineOptions = {}): Promise<StoreEngine> {
  const { feed, deliver } = createMemoryFeed();
  const published = new EventQueue<PublishedChange>();
  await feed.subscribe((change) => published.push({ change, json: JSON.stringify(change) }));
  const reported: number[] = [];
  const delivered = (changes: readonly ActivityChange[]): void => {
    onBatch?.(0, JSON.stringify(changes));
    deliver(changes);
  };
  const store = createMemoryStore({ deliver: delivered, history, onPublished: (count) => reported.push(count) });
  return { store, peer: store, published, reported, redis: null, close: () => feed.close() };
}

/** Where a Redis engine runs: one Redis (by URL) or a test cluster. */
type Target = { readonly url: string | undefined } | { readonly cluster: SpawnedCluster };

/** The one-partition Redis engine (`createRedisStore`'s keys and channel), under a key prefix of its own. */
export function redisEngine(options: StoreEngineOptions = {}): Promise<StoreEngine> {
  return partitionedEngine({ url: options.redisUrl }, 1, options);
}

/**
 * A Redis engine of `partitions` partitions: on one Redis (classic PUBLISH,
 * one subscriber on every channel) or on a cluster (SPUBLISH, a sharded
 * subscriber per master).
 */
export async function partitionedEngine(target: Target, partitions: number, options: StoreEngineOptions = {}): Promise<StoreEngine> {
  const { history = DEFAULT_HISTORY, label = 'store', onBatch } = options;
  const prefix = uniquePrefix(label);
  const onCluster = 'cluster' in target;
  const connect = (): Redis | Cluster => (onCluster ? connectTestCluster(target.cluster) : connectTestRedis(target.url));
  const [client, peerClient] = [connect(), connect()];
  const nodes = onCluster ? target.cluster.ports.map((port) => connectTestRedis(`redis://127.0.0.1:${port}`)) : [client as Redis];
  const published = new EventQueue<PublishedChange>();
  const channels = changeChannels(prefix, partitions, onCluster ? 'SPUBLISH' : 'PUBLISH');
  const receive = (channel: string, message: string): void => {
    const partition = channels.indexOf(channel);
    if (partition < 0) return;
    onBatch?.(partition, message);
    try {
      const raw = JSON.parse(message) as unknown[];
      parseChanges(message).forEach((change, i) => {
        published.push({ change: partitions > 1 ? { ...change, partition } : change, json: JSON.stringify(raw[i]) });
      });
    } catch (error) {
      published.fail(error);
    }
  };
  const subscriber = onCluster ? await shardedSubscriber(target.cluster, channels, receive) : await classicSubscriber(target.url, channels, receive);
  const reported: number[] = [];
  const make = (redis: Redis | Cluster): ActivityStore =>
    createPartitionedRedisStore({ redis, prefix, partitions, publish: onCluster ? 'SPUBLISH' : 'PUBLISH', history, onPublished: (count) => reported.push(count) });
  const close = async (): Promise<void> => {
    await dropKeys(nodes, prefix);
    await Promise.all([client.quit(), peerClient.quit(), subscriber.quit(), ...(onCluster ? nodes.map((node) => node.quit()) : [])]);
  };
  const side: RedisSide = { client, keys: redisKeys(prefix), prefix, nodes, flush: () => dropKeys(nodes, prefix) };
  return { store: make(client), peer: make(peerClient), published, reported, redis: side, close };
}

async function dropKeys(nodes: readonly Redis[], prefix: string): Promise<void> {
  for (const node of nodes) {
    // One DEL per key: on a cluster node, keys of several slots cannot go in one command.
    const pipeline = node.pipeline();
    for (const key of await node.keys(`${prefix}*`)) pipeline.del(key);
    await pipeline.exec();
  }
}

async function classicSubscriber(url: string | undefined, channels: readonly string[], receive: (channel: string, message: string) => void): Promise<Redis> {
  const subscriber = connectTestRedis(url);
  subscriber.on('message', receive);
  await subscriber.subscribe(...channels);
  return subscriber;
}

/** SSUBSCRIBE on a cluster: one channel per call (each its own slot), messages as 'smessage'. */
async function shardedSubscriber(cluster: SpawnedCluster, channels: readonly string[], receive: (channel: string, message: string) => void): Promise<Cluster> {
  const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
  const subscriber = new Cluster(nodes, { shardedSubscribers: true, redisOptions: { maxRetriesPerRequest: 1 } });
  subscriber.on('error', () => {});
  subscriber.on('smessage', receive);
  for (const channel of channels) await subscriber.ssubscribe(channel);
  return subscriber;
}

/** Every hit of `needles` in the engine's Redis, on every node (none on memory). */
export async function findInEngine(e: StoreEngine, needles: readonly string[]): Promise<ScanHit[]> {
  if (!e.redis) return [];
  const { nodes, prefix } = e.redis;
  return (await Promise.all(nodes.map((node) => findInRedis(node, `${prefix}*`, needles)))).flat();
}

/** One engine of a suite: its name, its partition count, and how to make one. */
export interface EngineCase {
  readonly engine: string;
  readonly partitions: number;
  make(options?: StoreEngineOptions): Promise<StoreEngine>;
}

/** Partitions of the engine on one Redis with several. */
export const ONE_REDIS_PARTITIONS = 3;
/** Partitions of the engine on the test cluster: two per master. */
export const CLUSTER_PARTITIONS = 6;

/**
 * Every engine, for `describe.each`: memory, Redis with one partition,
 * Redis with {@link ONE_REDIS_PARTITIONS} on one node, and a real 3-master
 * Redis Cluster with {@link CLUSTER_PARTITIONS}. Call it at the top of a
 * suite file: it starts the file's cluster in a `beforeAll` (and stops it
 * in an `afterAll`); `redisUrl` options do not apply to the cluster engine.
 */
export function storeEngines(): readonly EngineCase[] {
  const cluster = useTestCluster();
  return [
    { engine: 'memory', partitions: 1, make: memoryEngine },
    { engine: 'redis', partitions: 1, make: redisEngine },
    { engine: `redis, ${ONE_REDIS_PARTITIONS} partitions`, partitions: ONE_REDIS_PARTITIONS, make: (o) => partitionedEngine({ url: o?.redisUrl }, ONE_REDIS_PARTITIONS, o) },
    { engine: `cluster, ${CLUSTER_PARTITIONS} partitions`, partitions: CLUSTER_PARTITIONS, make: (o) => partitionedEngine({ cluster: cluster() }, CLUSTER_PARTITIONS, o) },
  ];
}

/**
 * A 3-master test cluster for the calling suite file, started in a
 * `beforeAll` and stopped in an `afterAll`; the getter throws before then.
 */
export function useTestCluster(): () => SpawnedCluster {
  let cluster: SpawnedCluster | undefined;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });
  return () => {
    if (!cluster) throw new Error('the test cluster is not started yet');
    return cluster;
  };
}

/** The next `count` published changes, waiting for each (up to 5 s apiece, so that a missing one fails with a message). */
export async function nextPublished(engine: StoreEngine, count: number): Promise<PublishedChange[]> {
  const taken: PublishedChange[] = [];
  for (let i = 0; i < count; i++) taken.push(await engine.published.next(5_000, `published change ${i + 1} of ${count}`));
  return taken;
}
