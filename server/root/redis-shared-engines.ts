import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FeedReports } from '../bus/feed-reports.js';
import { createRedisLeases } from '../leases/redis.js';
import type { LeaseManager } from '../leases/types.js';
import { createRedisSaltStore } from '../privacy/salts/redis.js';
import { dateOf, type SaltStore } from '../privacy/salts/types.js';
import { redisKeys, type PublishCommand } from '../redis/keys.js';
import { createPartitionedRedisStore } from '../store/partitioned.js';
import type { ActivityStore } from '../store/types.js';
import { createRedisSingleConnection, type SingleConnectionBackend } from '../transports/sse-single/backend.js';
import type { RouterPubSub } from '../transports/sse-single/routing-pubsub.js';
import { historyOf, singleConnectionOf, type BackendConfig, type BackendObserver } from './backend-types.js';

/** The engines that are built alike on one Redis and on a cluster. */
export interface SharedRedisEngines {
  readonly leases: LeaseManager;
  readonly singleConnection: SingleConnectionBackend;
  readonly salts: SaltStore;
  /** Releases what they hold (not the connections). */
  close(): Promise<void>;
}

/**
 * Leases, single connection mode and the IP salts on `commands` (one Redis
 * or a Cluster client: their keys all share the hash tag `{pulse}`, so
 * every script stays in one slot), the router talking through `pubsub`.
 * @throws when the router's subscription cannot be made
 */
export async function createSharedRedisEngines(
  commands: Redis | Cluster,
  pubsub: RouterPubSub,
  config: BackendConfig,
  logger: Logger,
  observer: BackendObserver,
): Promise<SharedRedisEngines> {
  const keys = redisKeys(config.redisPrefix);
  const singleConnection = await createRedisSingleConnection({ commands, pubsub, prefix: config.redisPrefix, keys }, singleConnectionOf(config), logger);
  const leases = createRedisLeases({
    redis: commands,
    keys,
    ttlMs: config.leaseTtlMs,
    onError: (err) => {
      observer.onRedisError('lease_renewal');
      logger.warn({ err }, 'lease renewal or release failed');
    },
  });
  // On the command connection: a salt is one SET per process and day, then held in the process (see `CurrentSalt`).
  const salts = createRedisSaltStore({ redis: commands, keyOf: (day) => keys.ipSalt(dateOf(day)) });
  return {
    leases,
    singleConnection,
    salts,
    close: async () => {
      salts.close();
      await singleConnection.close();
      await leases.close();
    },
  };
}

/** What every change feed logs, whatever its engine: a listener that threw, a message that could not be read. */
export function feedLogReports(logger: Logger): Required<Pick<FeedReports, 'onListenerError' | 'onMalformed'>> {
  return {
    onListenerError: (err) => logger.error({ err }, 'change listener failed'),
    onMalformed: (err) => logger.warn({ err }, 'dropped a malformed change message'),
  };
}

/** The store on `commands` in `partitions` partitions, its scripts publishing with `publish` (one Redis or a cluster). */
export function createChangeStore(commands: Redis | Cluster, publish: PublishCommand, partitions: number, config: BackendConfig, observer: BackendObserver): ActivityStore {
  return createPartitionedRedisStore({ redis: commands, prefix: config.redisPrefix, partitions, publish, onPublished: observer.onPublished, history: historyOf(config) });
}
