import type { Cluster } from 'ioredis';
import { decodeMessage } from './decode-message.js';
import { assertOpen, type FeedReports } from './feed-reports.js';
import { ListenerSet } from './listeners.js';
import { shardedSubscriptions } from './sharded-subscriptions.js';
import type { ChangeFeed, ChangeListener } from './types.js';

/** Options of {@link createShardedFeed}. */
export interface ShardedFeedOptions extends FeedReports {
  /**
   * A Redis Cluster client created with a `slotsRefreshInterval`, dedicated
   * to this feed. The feed follows its slot map and opens its own subscriber
   * connections with its `redisOptions`, one per master serving some of
   * `channels` (ioredis's sharded subscriber group, `shardedSubscribers`, is
   * not used: see ./sharded-subscriptions.ts). Not quit by the feed: quit it
   * after {@link ChangeFeed.close}.
   *
   * The interval is how a slot moved to another master is noticed when its
   * old master said nothing (it failed over, say): ioredis 5.11 documents a
   * 5 s default but has none, and a subscriber sends no command that a
   * MOVED reply could correct, so without it such a channel would stay
   * silent for good. It also bounds how long a moved channel waits for the
   * map to name its new master.
   */
  subscriber: Cluster;
  /**
   * Every partition's change channel (`RedisKeys.changesChannelOf` of each
   * of `partitionTags(P)`, as `changeChannels` gives them), in partition
   * order; at least one. Channels of one slot share one SSUBSCRIBE. With
   * several, each change is given the `partition` of the channel it came on
   * (its index here).
   */
  channels: readonly string[];
}

const ignore = (): void => {};

/** The sharded feed, which can also tell whether it hears every channel now (for `/readyz`). */
export interface ShardedFeed extends ChangeFeed {
  /**
   * False while its Cluster connection is not ready or some channel that
   * was live is being resubscribed: changes on it are being missed.
   */
  readonly live: boolean;
}

/**
 * The change feed on Redis Cluster: sharded pub/sub, one channel per
 * partition, each published on (SPUBLISH) by its partition's master alone,
 * so that no event is broadcast to every node as a classic PUBLISH is.
 *
 * When the first listener subscribes, the feed SSUBSCRIBEs every channel
 * once, on connections of its own (one per master), and keeps that one
 * subscription per channel until {@link ChangeFeed.close}, however many
 * listeners come and go; it fans out in memory. Messages are parsed by
 * `parseChanges`; a malformed one is reported to `onMalformed` and dropped.
 *
 * Order: each message's changes are delivered together and in order, and
 * the messages of one channel in the order its master accepted them. Order
 * across channels is not defined: each partition keeps its own order, so
 * cursors become per-partition positions (issue 12, item 4).
 *
 * Delivery is at-most-once, per channel: what is published on a channel
 * while it is not subscribed at its master is lost. The feed reports each
 * such outage once to `onDisconnect`; `subscribe` rejects while any channel
 * is not live (a listener added then would miss changes without knowing),
 * and the feed resubscribes the lost channels in the background, live again
 * once their masters have confirmed SSUBSCRIBE.
 *
 * During a resharding: while a slot migrates its channels stay live at the
 * source. When the source gives the slot up (`CLUSTER SETSLOT … NODE`), it
 * pushes an unsolicited `sunsubscribe` for them; the feed takes that as the
 * outage it is (one `onDisconnect`, `subscribe` rejecting) and SSUBSCRIBEs
 * them at the master the slot map names next, as soon as the map (reloaded
 * every `slotsRefreshInterval`) names the new one. What was SPUBLISHed on
 * them meanwhile is lost; the other channels are not touched. A move whose
 * push never came (the old master died) is found by the map reload alone.
 */
export function createShardedFeed(options: ShardedFeedOptions): ShardedFeed {
  const { subscriber, channels, onListenerError = ignore, onMalformed = ignore, onDisconnect = ignore } = options;
  if (channels.length === 0) throw new RangeError('a sharded change feed needs at least one channel');
  if (!subscriber.options.slotsRefreshInterval) {
    throw new TypeError('the sharded change feed needs a Cluster created with a slotsRefreshInterval');
  }
  const listeners = new ListenerSet(onListenerError);
  const partitionOf = new Map(channels.map((channel, index) => [channel, index]));
  const partitioned = channels.length > 1;
  let closed = false;
  const onMessage = (channel: string, text: string): void => {
    const partition = partitionOf.get(channel);
    if (closed || partition === undefined) return;
    const changes = decodeMessage(text, onMalformed, partitioned ? partition : undefined);
    if (changes) listeners.deliver(changes);
  };
  const subscriptions = shardedSubscriptions({
    cluster: subscriber,
    channels,
    onMessage,
    onLost: () => {
      if (!closed) onDisconnect();
    },
  });

  return {
    async subscribe(listener: ChangeListener) {
      assertOpen(closed);
      if (subscriber.status === 'end') throw new Error('the change feed cannot subscribe: its Redis Cluster connection is closed');
      if (subscriptions.recovering) throw new Error('the change feed lost a Redis Cluster master and is resubscribing; retry shortly');
      await subscriptions.ensure();
      // close() may have run while SSUBSCRIBE was in flight.
      assertOpen(closed);
      return listeners.add(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    get live() {
      return subscriber.status === 'ready' && !subscriptions.recovering;
    },
    async close() {
      closed = true;
      listeners.clear();
      await subscriptions.release();
    },
  } satisfies ShardedFeed;
}
