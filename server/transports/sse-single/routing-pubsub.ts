import type { Redis } from 'ioredis';

/**
 * The pub/sub a Redis stream router talks through: one channel per
 * process. Two engines: classic pub/sub on one Redis ({@link classicRouterPubSub}),
 * and sharded pub/sub on a Redis Cluster (built by the composition root,
 * which owns the sharded subscriptions: server/root/router-pubsub-sharded.ts).
 */
export interface RouterPubSub {
  /**
   * Publishes `message` on `channel`.
   * @returns how many subscribers received it: 0 means nobody listens on that channel now
   * @throws when Redis fails
   */
  publish(channel: string, message: string): Promise<number>;
  /**
   * Subscribes to `channel` for good, calling `onMessage` with each message's
   * text, and resolves once Redis has confirmed it, with a function that
   * unsubscribes (and never throws).
   * @throws when the subscription cannot be made
   */
  listen(channel: string, onMessage: (text: string) => void): Promise<() => Promise<void>>;
}

/**
 * Classic pub/sub on one Redis: PUBLISH on `publisher` (which may be
 * shared), SUBSCRIBE on `subscriber` (dedicated: a subscribed connection
 * takes no other commands). Neither is quit here.
 */
export function classicRouterPubSub(publisher: Redis, subscriber: Redis): RouterPubSub {
  return {
    publish: (channel, message) => publisher.publish(channel, message),
    async listen(channel, onMessage) {
      const receive = (from: string, text: string): void => {
        if (from === channel) onMessage(text);
      };
      subscriber.on('message', receive);
      try {
        await subscriber.subscribe(channel);
      } catch (error) {
        subscriber.off('message', receive);
        throw error;
      }
      return async () => {
        subscriber.off('message', receive);
        await subscriber.unsubscribe(channel).catch(() => undefined);
      };
    },
  };
}
