import type { Redis } from 'ioredis';
import { decodeMessage } from './decode-message.js';
import { assertOpen, type FeedReports } from './feed-reports.js';
import { ListenerSet } from './listeners.js';
import { channelSubscription } from './redis-pubsub.js';
import type { ChangeFeed, ChangeListener } from './types.js';

/** Options of {@link createRedisFeed}. */
export interface RedisFeedOptions extends FeedReports {
  /**
   * Dedicated to pub/sub (a subscribed connection accepts no other commands).
   * Use one per feed: the feed leaves its message handler on it. Not quit by the feed.
   */
  subscriber: Redis;
  /**
   * The channels the store's scripts publish changes on, one per partition
   * in partition order (`changeChannels(prefix, partitions)`; with one
   * partition, `RedisKeys.changesChannel`); at least one. With several, each
   * change is given the `partition` of the channel it came on.
   */
  channels: readonly string[];
}

const ignore = (): void => {};

/**
 * The change feed for several processes on one Redis: pub/sub through
 * graphql-redis-subscriptions (its workarounds are in ./redis-pubsub.ts).
 *
 * Each feed holds one Redis subscription per channel, taken when the first
 * listener subscribes and kept until {@link ChangeFeed.close}, and fans out in
 * memory. Messages are parsed by `parseChanges`; a malformed one is reported
 * to `onMalformed` and dropped. Delivery is at-most-once: what is published
 * while the subscriber is disconnected is lost (ioredis resubscribes by
 * itself), so the feed reports each loss to `onDisconnect`, and `subscribe`
 * rejects until the connection is ready again: a listener added meanwhile
 * would miss changes without knowing.
 */
export function createRedisFeed(options: RedisFeedOptions): ChangeFeed {
  const { subscriber, channels, onListenerError = ignore, onMalformed = ignore, onDisconnect = ignore } = options;
  if (channels.length === 0) throw new RangeError('a Redis change feed needs at least one channel');
  const partitioned = channels.length > 1;
  const listeners = new ListenerSet(onListenerError);
  let closed = false;
  const connection = watchConnection(subscriber, () => {
    if (!closed) onDisconnect();
  });
  const subscription = channelSubscription(subscriber, channels, (index, text) => {
    if (closed) return;
    const changes = decodeMessage(text, onMalformed, partitioned ? index : undefined);
    if (changes) listeners.deliver(changes);
  });

  return {
    async subscribe(listener: ChangeListener) {
      assertOpen(closed);
      // The subscription, once confirmed, is not live while ioredis reconnects.
      if (connection.lost) throw new Error(`the change feed lost its Redis connection (${subscriber.status}); retry shortly`);
      await subscription.ensure();
      // close() may have run while SUBSCRIBE was in flight.
      assertOpen(closed);
      return listeners.add(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    async close() {
      closed = true;
      listeners.clear();
      await subscription.release();
    },
  } satisfies ChangeFeed;
}

/**
 * Calls `onLost` when a ready connection closes; ioredis emits `close` again
 * for every failed reconnect attempt, which is the same outage. `lost` is
 * true from then until the connection is ready again (not before the first
 * connection: ioredis queues commands until then, and nothing was missed).
 */
function watchConnection(client: Redis, onLost: () => void): { readonly lost: boolean } {
  let connected = client.status === 'ready';
  let lost = false;
  client.on('ready', () => {
    connected = true;
    lost = false;
  });
  const onClose = (): void => {
    if (!connected) return;
    connected = false;
    lost = true;
    onLost();
  };
  client.on('close', onClose);
  client.on('end', onClose);
  return {
    get lost() {
      return lost;
    },
  };
}
