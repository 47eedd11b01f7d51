import type { Cluster } from 'ioredis';
import { shardedSubscriptions } from '../bus/sharded-subscriptions.js';
import type { RouterPubSub } from '../transports/sse-single/routing-pubsub.js';

/**
 * The single-connection router's pub/sub on a Redis Cluster: sharded
 * (SPUBLISH/SSUBSCRIBE), not classic. Classic PUBLISH on a cluster is copied
 * to every node, and its reply counts only the subscribers of the node that
 * took it: with the holder's subscription on another node it would answer
 * 0, which the router reads as "the holder is gone" (a false 404). SPUBLISH
 * goes to the one master of the channel's slot, where every subscriber of
 * that channel is, so its count is exact, and nothing is broadcast.
 *
 * Each process's channel is subscribed through the same sharded
 * subscriptions as the change feed, which follow its slot to another master
 * (a failover, a resharding) and resubscribe. While a channel is being
 * resubscribed, requests to its process go unanswered and time out as 503,
 * the router's rule for a lost message.
 * @param cluster - the shared command client, created with a `slotsRefreshInterval`; not quit here
 */
export function shardedRouterPubSub(cluster: Cluster): RouterPubSub {
  return {
    publish: async (channel, message) => Number(await cluster.spublish(channel, message)),
    async listen(channel, onMessage) {
      const subscriptions = shardedSubscriptions({
        cluster,
        channels: [channel],
        onMessage: (from, text) => {
          if (from === channel) onMessage(text);
        },
        // Resubscribed in the background; what was lost meanwhile ends as the sender's timeout.
        onLost: () => {},
      });
      try {
        await subscriptions.ensure();
      } catch (error) {
        await subscriptions.release();
        throw error;
      }
      return () => subscriptions.release().catch(() => undefined);
    },
  };
}
