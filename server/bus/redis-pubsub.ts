import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';

/**
 * graphql-redis-subscriptions 2.7 as the Redis change feed uses it: a fixed
 * list of channels (one per partition), raw text, no publishing. Every workaround the library needs is
 * here, so that the feed (./redis.ts) reads as if the library had none:
 *
 * 1. `RedisPubSub` opens two connections of its own unless it is given both
 *    a publisher and a subscriber. The feed never publishes (the store's Lua
 *    does), so the subscriber is passed as both; nothing ever PUBLISHes on it.
 * 2. When SUBSCRIBE fails, the library rejects an internal promise that
 *    nobody awaits (an unhandled rejection, fatal on Node 20) unless a second
 *    subscription joined the pending SUBSCRIBE. So a no-op subscription joins
 *    it and leaves once confirmed (leaving while another subscription remains
 *    sends nothing to Redis). See {@link subscribeOnce}.
 * 3. `RedisPubSub.unsubscribe` sends UNSUBSCRIBE without awaiting it, so a
 *    failure would be an unhandled rejection too: the subscription is
 *    released with the subscriber's own awaited `unsubscribe` instead.
 * 4. It parses every message as JSON unless given a deserializer, and passes
 *    the raw message on when its deserializer throws: the identity
 *    (de)serializers keep the wire format to `domain/change-codec.ts`.
 * 5. It leaves its `message` handlers on the subscriber for good: use one
 *    subscriber connection per feed.
 */
export interface ChannelSubscription {
  /** Resolves once Redis has confirmed SUBSCRIBE of every channel (at once if it already has); retries after a failure. */
  ensure(): Promise<void>;
  /** Sends UNSUBSCRIBE once the subscriptions are confirmed, if they are pending. Final: call once, on close. */
  release(): Promise<void>;
}

const ignore = (): void => {};

/**
 * One subscription to each of `channels` on `subscriber`, all taken on the
 * first {@link ChannelSubscription.ensure}, calling `onMessage` with the
 * channel's index in `channels` and each message's text. One library
 * instance serves them all, so the subscriber carries two listeners
 * however many channels there are.
 */
export function channelSubscription(subscriber: Redis, channels: readonly string[], onMessage: (index: number, text: string) => void): ChannelSubscription {
  const pubsub = new RedisPubSub({
    // Workaround 1: never used to publish.
    publisher: subscriber,
    subscriber,
    // Workaround 4: raw text in and out.
    serializer: (text: string) => text,
    deserializer: (source) => source.toString(),
  });
  // Per channel: a failed SUBSCRIBE is retried alone, so a channel already live never gets a second handler.
  const active: Array<Promise<void> | undefined> = channels.map(() => undefined);
  const ensureOne = (index: number): Promise<void> =>
    (active[index] ??= subscribeOnce(pubsub, channels[index] as string, (text) => onMessage(index, text)).catch((error: unknown) => {
      active[index] = undefined;
      throw error;
    }));
  return {
    async ensure() {
      await Promise.all(channels.map((_, index) => ensureOne(index)));
    },
    async release() {
      const pending = active.splice(0, active.length, ...channels.map(() => undefined));
      const confirmed = await Promise.all(pending.map((promise) => promise?.then(() => true, () => false) ?? false));
      const subscribed = channels.filter((_, index) => confirmed[index]);
      // Workaround 3. A subscriber the caller already quit holds no subscription any more.
      if (subscribed.length > 0 && subscriber.status !== 'end') await subscriber.unsubscribe(...subscribed);
    },
  };
}

/** Subscribes `onMessage` and resolves once Redis confirmed SUBSCRIBE; workaround 2. */
async function subscribeOnce(pubsub: RedisPubSub, channel: string, onMessage: (text: string) => void): Promise<void> {
  const subscribed = pubsub.subscribe<string>(channel, onMessage);
  const joined = pubsub.subscribe<string>(channel, ignore);
  const [, joinedId] = await Promise.all([subscribed, joined]);
  pubsub.unsubscribe(joinedId);
}
