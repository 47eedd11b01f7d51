import type { Cluster, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { createShardedFeed } from '../bus/redis-sharded.js';
import type { RedisNode } from '../config/redis-nodes.js';
import { connectRedisCluster } from '../redis/connect.js';
import { changeChannels } from '../redis/keys.js';
import { DEFAULT_PARTITIONS } from '../redis/partitions.js';
import type { BackendConfig, BackendObserver, Backends } from './backend-types.js';
import { everyMasterAnswers } from './cluster-readiness.js';
import { createChangeStore, createSharedRedisEngines, feedLogReports } from './redis-shared-engines.js';
import { shardedRouterPubSub } from './router-pubsub-sharded.js';

/**
 * Every engine on the Redis Cluster seeded by `nodes`:
 * - the store in `REDIS_PARTITIONS` partitions, each under a hash tag of its
 *   own (spread over the masters), its scripts publishing with SPUBLISH;
 * - the change feed on sharded pub/sub, on a Cluster client of its own
 *   (whose slot map it follows) and its own connection to each master;
 * - leases, single connection reservations and the IP salts on the command
 *   client: their keys share `{pulse}`, so each script stays in one slot;
 *   the router on sharded pub/sub (see ./router-pubsub-sharded.ts for why).
 * @throws when the cluster cannot be reached, or the subscriptions cannot be made
 */
export async function createClusterBackends(nodes: readonly RedisNode[], config: BackendConfig, logger: Logger, observer: BackendObserver): Promise<Backends> {
  const partitions = config.redisPartitions ?? DEFAULT_PARTITIONS;
  const access = { redisOptions: clusterAccess(config) };
  const commands = await connectRedisCluster(nodes, 'pulse-commands', access);
  const feedClient = await connectRedisCluster(nodes, 'pulse-feed', access).catch((error: unknown) => {
    commands.disconnect();
    throw error;
  });
  const shared = await createSharedRedisEngines(commands, shardedRouterPubSub(commands), config, logger, observer).catch((error: unknown) => {
    commands.disconnect();
    feedClient.disconnect();
    throw error;
  });
  // As on one Redis: each failed connection of the feed's client to a master is a window in which changes may be lost.
  feedClient.on('node error', () => observer.onRedisError('bus'));
  const bus = createShardedFeed({
    subscriber: feedClient,
    channels: changeChannels(config.redisPrefix, partitions, 'SPUBLISH'),
    ...feedLogReports(logger),
    // Each lost channel is a window in which changes from other processes are lost, as a lost connection is on one Redis.
    onDisconnect: () => {
      observer.onRedisError('bus');
      observer.onConnectionLost?.();
    },
  });
  const store = createChangeStore(commands, 'SPUBLISH', partitions, config, observer);
  return {
    store,
    bus,
    leases: shared.leases,
    singleConnection: shared.singleConnection,
    salts: shared.salts,
    kind: 'redis-cluster',
    isReady: async () => bus.live && feedClient.status === 'ready' && (await everyMasterAnswers(commands)),
    close: async () => {
      await shared.close();
      await bus.close();
      await store.close();
      await Promise.allSettled([quit(commands), quit(feedClient)]);
    },
  };
}

/**
 * What every connection to a node signs in and speaks with: the Cluster
 * clients' own and, through their `redisOptions`, the change feed's
 * connection to each master. TLS checks each node's certificate against
 * Node's CAs (`NODE_EXTRA_CA_CERTS` adds a private one) for the address the
 * cluster announces, so certificates name the nodes' addresses.
 */
function clusterAccess({ redisClusterUsername, redisClusterPassword, redisClusterTls }: BackendConfig): RedisOptions {
  return {
    ...(redisClusterPassword === undefined ? {} : { username: redisClusterUsername, password: redisClusterPassword }),
    ...(redisClusterTls === true ? { tls: {} } : {}),
  };
}

/** QUIT, or a disconnect when the cluster cannot take it now. */
async function quit(client: Cluster): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}
