import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import type { ActivityChange } from '../domain/activity.js';
import { encodeChanges, parseChanges } from './codec.js';
import { ListenerSet } from './listeners.js';
import type { ChangeListener, EventBus } from './types.js';

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** Sends PUBLISH; may be shared with other commands (the store's client). Not quit by the bus. */
  publisher: Redis;
  /**
   * Dedicated to pub/sub (a subscribed connection accepts no other commands).
   * Use one per bus: the bus leaves its message handler on it. Not quit by the bus.
   */
  subscriber: Redis;
  /** The channel changes travel on, e.g. `RedisKeys.changesChannel`. */
  channel: string;
  /** Called with what a listener threw; must not throw. @defaultValue ignore */
  onListenerError?: (error: unknown) => void;
  /** Called with the parse error of a message that was dropped; must not throw. @defaultValue ignore */
  onMalformed?: (error: unknown) => void;
  /**
   * Called once each time the subscriber connection is lost (ioredis `close`
   * or `end` after it was ready): what is published until it is back never
   * arrives, so listeners should make their clients resume. Must not throw.
   * @defaultValue ignore
   */
  onDisconnect?: () => void;
}

/** The bus's one subscription to its channel, shared by all of its listeners. */
interface ChannelSubscription {
  /** Resolves once Redis has confirmed SUBSCRIBE; retries after a failure. */
  ensure(): Promise<void>;
  /** Sends UNSUBSCRIBE (once the subscription is confirmed, if it is pending). */
  release(): Promise<void>;
}

const ignore = (): void => {};

/**
 * The bus for several processes: Redis pub/sub through graphql-redis-subscriptions.
 *
 * Each bus holds one Redis subscription on `channel`, taken when the first
 * listener subscribes and kept until {@link EventBus.close}, and fans out in
 * memory. Messages are parsed by `parseChanges`; a malformed one is reported
 * to `onMalformed` and dropped. `publish` awaits the PUBLISH and rejects when
 * Redis does. Delivery is at-most-once: what is published while the
 * subscriber is disconnected is lost (ioredis resubscribes by itself), so the
 * bus reports each loss to `onDisconnect`, and `subscribe` rejects until the
 * connection is ready again: a listener added meanwhile would miss changes
 * without knowing.
 */
export function createRedisBus(options: RedisBusOptions): EventBus {
  const { publisher, subscriber, channel, onListenerError = ignore, onMalformed = ignore, onDisconnect = ignore } = options;
  const listeners = new ListenerSet(onListenerError);
  let closed = false;
  const connection = watchConnection(subscriber, () => {
    if (!closed) onDisconnect();
  });
  const receive = (raw: unknown): void => {
    if (closed) return;
    const changes = decode(raw, onMalformed);
    if (changes) listeners.deliver(changes);
  };
  const pubsub = new RedisPubSub({
    publisher,
    subscriber,
    // Raw text in and out: `encodeChanges` and `parseChanges` own the wire format.
    serializer: (text: string) => text,
    deserializer: (source) => source.toString(),
  });
  const subscription = channelSubscription(pubsub, subscriber, channel, receive);

  return {
    async publish(changes: readonly ActivityChange[]) {
      if (changes.length === 0) return;
      await pubsub.publish(channel, encodeChanges(changes));
    },
    async subscribe(listener: ChangeListener) {
      assertOpen(closed);
      if (connection.lost) throw new Error(`the event bus lost its Redis connection (${subscriber.status}); retry shortly`);
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
  } satisfies EventBus;
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

function assertOpen(closed: boolean): void {
  if (closed) throw new Error('the event bus is closed');
}

/** Parses a message; reports and swallows a malformed one, since it comes from outside and must not break delivery. */
function decode(raw: unknown, onMalformed: (error: unknown) => void): ActivityChange[] | null {
  try {
    return parseChanges(raw);
  } catch (error) {
    onMalformed(error);
    return null;
  }
}

function channelSubscription(
  pubsub: RedisPubSub,
  subscriber: Redis,
  channel: string,
  onMessage: (raw: unknown) => void,
): ChannelSubscription {
  let active: Promise<void> | undefined;
  return {
    ensure() {
      active ??= subscribeOnce(pubsub, channel, onMessage).catch((error: unknown) => {
        active = undefined;
        throw error;
      });
      return active;
    },
    async release() {
      const pending = active;
      active = undefined;
      const subscribed = await pending?.then(
        () => true,
        () => false,
      );
      // Not `pubsub.unsubscribe`: it sends UNSUBSCRIBE without awaiting it, so a failure would be an unhandled rejection.
      // A subscriber the caller already quit holds no subscription any more.
      if (subscribed && subscriber.status !== 'end') await subscriber.unsubscribe(channel);
    },
  };
}

/**
 * Subscribes `onMessage` and resolves once Redis confirmed SUBSCRIBE.
 *
 * graphql-redis-subscriptions 2.7 rejects an internal promise that nobody
 * awaits when SUBSCRIBE fails, which is an unhandled rejection (fatal on
 * Node 20), unless a second subscription joined the pending SUBSCRIBE. So a
 * no-op subscription joins it and leaves once confirmed; leaving while
 * another subscription remains sends nothing to Redis.
 */
async function subscribeOnce(pubsub: RedisPubSub, channel: string, onMessage: (raw: unknown) => void): Promise<void> {
  const subscribed = pubsub.subscribe<unknown>(channel, onMessage);
  const joined = pubsub.subscribe<unknown>(channel, ignore);
  const [, joinedId] = await Promise.all([subscribed, joined]);
  pubsub.unsubscribe(joinedId);
}
