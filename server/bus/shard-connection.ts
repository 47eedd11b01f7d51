import type { RedisOptions } from 'ioredis';
import { openClusterNodeSubscriber } from '../redis/connect.js';
import { unsolicitedReply, type UnsolicitedReply } from './unsolicited-reply.js';

/** What a {@link ShardConnection} reports. Handlers must not throw. */
export interface ShardConnectionEvents {
  /** A message on a shard channel this connection subscribed. */
  onMessage(channel: string, text: string): void;
  /** A reply no command asked for: Redis dropped a subscription of this connection, or may have. */
  onUnsolicited(reply: UnsolicitedReply): void;
  /** The connection ended (closed by either side, or never opened), and every subscription on it with it. Called once. */
  onEnd(): void;
}

/** One subscriber connection to one Redis Cluster master, in sharded subscriber mode. */
export interface ShardConnection {
  /** The master, `host:port` as the Cluster's slot map names it. */
  readonly node: string;
  /**
   * SSUBSCRIBEs `channels` (of one slot) and resolves once the master has
   * confirmed them.
   * @throws when the master no longer serves their slot (MOVED), or the connection ends first
   */
  ssubscribe(channels: readonly string[]): Promise<void>;
  /** Closes the connection and resolves once it has ended, every subscription on it with it. */
  close(): Promise<void>;
}

const ignore = (): void => {};

/**
 * Opens a subscriber connection to `node` with the Cluster's `redisOptions`
 * (credentials, TLS). It never reconnects and never resubscribes by itself:
 * what it held is gone once it ends, and its owner decides where to
 * subscribe again.
 *
 * Its `error` listener stays for the connection's whole life, and past it:
 * ioredis reports a reply that matches no command (an unsolicited
 * `sunsubscribe`, when a master gives up a slot) by emitting `error` from
 * its socket handler, which throws, an uncaught exception, on a connection
 * with no listener. ioredis's own sharded subscribers remove theirs when
 * they stop, while their socket may still be read.
 */
export function openShardConnection(node: string, redisOptions: RedisOptions, events: ShardConnectionEvents): ShardConnection {
  const connection = openClusterNodeSubscriber(node, redisOptions);
  connection.on('error', (error: unknown) => {
    const reply = unsolicitedReply(error);
    if (reply) events.onUnsolicited(reply);
  });
  connection.on('smessage', (channel: string, text: string) => events.onMessage(channel, text));
  const ended = new Promise<void>((resolve) => connection.once('end', resolve));
  void ended.then(() => events.onEnd());

  return {
    node,
    ssubscribe(channels) {
      return new Promise<void>((resolve, reject) => {
        // ioredis 5.11 answers a MOVED reply to SSUBSCRIBE with a `moved` event and never settles the command.
        const onMoved = (): void => reject(new Error(`${node} no longer serves the slot of ${channels.join(', ')} (MOVED)`));
        connection.once('moved', onMoved);
        connection
          .ssubscribe(...channels)
          .then(() => resolve(), reject)
          .finally(() => connection.off('moved', onMoved));
      });
    },
    async close() {
      // QUIT on a ready connection, so that the master has dropped our subscriptions when `end` comes.
      if (connection.status === 'ready') connection.quit().catch(ignore);
      else connection.disconnect();
      await ended;
    },
  };
}
