import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createRedisFeed } from '../bus/redis.js';
import { connectRedis } from '../redis/connect.js';
import { changeChannels } from '../redis/keys.js';
import { classicRouterPubSub } from '../transports/sse-single/routing-pubsub.js';
import type { BackendConfig, BackendObserver, Backends } from './backend-types.js';
import { createChangeStore, createSharedRedisEngines, feedLogReports } from './redis-shared-engines.js';

/** Opens the three connections of one Redis; none is left open when one fails. */
async function openConnections(url: string): Promise<{ commands: Redis; subscriber: Redis; routerSubscriber: Redis }> {
  const opened: Redis[] = [];
  const open = async (name: string): Promise<Redis> => {
    const client = await connectRedis(url, name);
    opened.push(client);
    return client;
  };
  try {
    const commands = await open('pulse-commands');
    const subscriber = await open('pulse-subscriber');
    // Single connection mode's router subscribes to a channel of this process's own: a connection of its own.
    const routerSubscriber = await open('pulse-stream-router');
    return { commands, subscriber, routerSubscriber };
  } catch (error) {
    for (const client of opened) client.disconnect();
    throw error;
  }
}

/**
 * Every engine on one Redis at `url`: the store in `REDIS_PARTITIONS`
 * partitions (all on this node) publishing with classic PUBLISH, a feed
 * subscribed to every partition's channel, and the rest under `{pulse}`.
 * @throws when Redis cannot be reached, or the subscriptions cannot be made
 */
export async function createRedisBackends(url: string, config: BackendConfig, logger: Logger, observer: BackendObserver): Promise<Backends> {
  const partitions = config.redisPartitions ?? 1;
  const { commands, subscriber, routerSubscriber } = await openConnections(url);
  const all = [commands, subscriber, routerSubscriber];
  // Each failed (re)connection of the pub/sub connection is a window in which changes from other processes are lost.
  subscriber.on('error', () => observer.onRedisError('bus'));
  const shared = await createSharedRedisEngines(commands, classicRouterPubSub(commands, routerSubscriber), config, logger, observer).catch((error: unknown) => {
    for (const client of all) client.disconnect();
    throw error;
  });
  // The store's scripts publish on each partition's channel; the feed only listens.
  const bus = createRedisFeed({
    subscriber,
    channels: changeChannels(config.redisPrefix, partitions),
    ...feedLogReports(logger),
    onDisconnect: () => observer.onConnectionLost?.(),
  });
  const store = createChangeStore(commands, 'PUBLISH', partitions, config, observer);
  return {
    store,
    bus,
    leases: shared.leases,
    singleConnection: shared.singleConnection,
    salts: shared.salts,
    kind: 'redis',
    isReady: async () => {
      if (commands.status !== 'ready' || subscriber.status !== 'ready') return false;
      return commands.ping().then(
        () => true,
        () => false,
      );
    },
    close: async () => {
      await shared.close();
      await bus.close();
      await store.close();
      await Promise.allSettled([commands.quit(), subscriber.quit(), routerSubscriber.quit().catch(() => routerSubscriber.disconnect())]);
    },
  };
}
