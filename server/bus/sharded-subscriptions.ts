import type { Cluster } from 'ioredis';
import { clusterReady } from './cluster-ready.js';
import { coalesce } from './coalesce.js';
import { retryLoop } from './retry-loop.js';
import { openShardConnection, type ShardConnection } from './shard-connection.js';
import { watchShardLosses } from './shard-losses.js';
import { groupBySlot, type SlotGroup } from './slot-groups.js';
import type { UnsolicitedReply } from './unsolicited-reply.js';

/** Options of {@link shardedSubscriptions}. */
export interface ShardedSubscriptionsOptions {
  /**
   * Where the slot map comes from (reloaded every `slotsRefreshInterval`),
   * and the `redisOptions` of the subscriber connections. Nothing is
   * subscribed through it. Not quit here.
   */
  readonly cluster: Cluster;
  readonly channels: readonly string[];
  /** Called with each message on one of `channels`. Must not throw. */
  readonly onMessage: (channel: string, text: string) => void;
  /**
   * Called when channels that were live stop being live, once per event
   * that ended their subscription: their master dropped them (their slot
   * moved to another master), their subscriber connection ended, or the
   * slot map says another master serves them now. Must not throw.
   */
  readonly onLost: () => void;
  /**
   * Delay before the `attempt`-th (from 0) timed retry to resubscribe lost
   * channels. Retries also run at once whenever the slot map is reloaded.
   * @defaultValue {@link resubscribeBackoff}
   */
  readonly retryDelayMs?: (attempt: number) => number;
}

/** Every channel's subscription on a Redis Cluster, one SSUBSCRIBE per slot. */
export interface ShardedSubscriptions {
  /** Some channel was live and is not: it is being resubscribed in the background. */
  readonly recovering: boolean;
  /**
   * SSUBSCRIBEs every channel that is not live and resolves once Redis has
   * confirmed them all (at once when it already had).
   * @throws the last SSUBSCRIBE error, or an Error, when a channel is still not live
   */
  ensure(): Promise<void>;
  /** Closes every subscriber connection, and so every subscription, and stops resubscribing. Final. */
  release(): Promise<void>;
}

/** The default retry delays: 100 ms, doubling up to 2 s. */
export const resubscribeBackoff = (attempt: number): number => Math.min(100 * 2 ** attempt, 2_000);

/** One slot group's subscription, as far as this process can tell. */
interface GroupState extends SlotGroup {
  /** The connection SSUBSCRIBE was last sent on: pending, or confirmed when `owner` is set. */
  connection: ShardConnection | null;
  /** The master whose connection confirmed SSUBSCRIBE; null while the group is not live. */
  owner: string | null;
  /** Was live, then lost: resubscribed in the background. */
  lost: boolean;
  /** Bumped by every event that may have ended the subscription: a confirmation that spans one is not trusted. */
  generation: number;
}

/**
 * Subscribes `channels` on connections of its own, one per master that
 * serves some of their slots, and tracks, per slot, whether the
 * subscription is live: confirmed by the master that owns the slot now, on
 * a connection that has not ended or been told otherwise since. Lost slots
 * are reported and resubscribed where the slot map says they are now.
 *
 * Not through ioredis's sharded subscriber group: when a master gives up a
 * slot it pushes an unsolicited `sunsubscribe`, which ioredis 5.11 cannot
 * match to a command, and its group can meet that on a connection it has
 * stopped listening to (an uncaught exception); nor does it say which
 * subscription ended. Here that push is the loss itself, read from the
 * connection's `error` event (see ./unsolicited-reply.ts).
 */
export function shardedSubscriptions(options: ShardedSubscriptionsOptions): ShardedSubscriptions {
  const { cluster, channels, onMessage, onLost, retryDelayMs = resubscribeBackoff } = options;
  const groups: GroupState[] = groupBySlot(channels).map((group) => ({ ...group, connection: null, owner: null, lost: false, generation: 0 }));
  /** The connection to each master that new SSUBSCRIBEs go to. */
  const connections = new Map<string, ShardConnection>();
  /** Every connection that has not ended yet, idle ones being closed included: release() waits for them all. */
  const opened = new Set<ShardConnection>();
  const ownerOf = (group: SlotGroup): string | null => cluster.slots[group.slot]?.[0] ?? null;
  let released = false;
  let lastError: unknown = null;

  const lose = (affected: (group: GroupState) => boolean): void => {
    let lostLive = false;
    for (const group of groups) {
      if (!affected(group)) continue;
      group.generation++;
      if (group.owner === null) continue;
      group.owner = null;
      group.lost = lostLive = true;
    }
    if (lostLive && !released) {
      onLost();
      recovery.start();
    }
  };

  /** What one connection reports touches the groups sent on it alone. */
  const onUnsolicited = (connection: ShardConnection, reply: UnsolicitedReply): void =>
    lose((group) => group.connection === connection && (reply.kind === 'unknown' || group.channels.includes(reply.channel)));

  const connectionTo = (node: string): ShardConnection => {
    if (released) throw new Error('the subscriptions were released');
    const open = connections.get(node);
    if (open) return open;
    const connection: ShardConnection = openShardConnection(node, cluster.options.redisOptions ?? {}, {
      onMessage,
      onUnsolicited: (reply) => onUnsolicited(connection, reply),
      onEnd: () => {
        opened.delete(connection);
        if (connections.get(node) === connection) connections.delete(node);
        lose((group) => group.connection === connection);
      },
    });
    connections.set(node, connection);
    opened.add(connection);
    return connection;
  };

  const confirm = async (group: GroupState): Promise<void> => {
    const generation = group.generation;
    const node = ownerOf(group);
    try {
      if (node === null) throw new Error(`no master serves slot ${group.slot} in the slot map`);
      group.connection = connectionTo(node);
      await group.connection.ssubscribe(group.channels);
    } catch (error) {
      lastError = error;
      // Not subscribed there (MOVED, or the connection ended): nothing this connection reports concerns the group.
      if (group.generation === generation) group.connection = null;
      return;
    }
    if (released || group.generation !== generation) return;
    group.owner = node;
    group.lost = false;
  };

  /** Closes the connections no group is sent on any more (their masters gave up our slots). */
  const closeIdle = (): void => {
    const used = new Set(groups.map((group) => group.connection));
    for (const connection of connections.values()) {
      if (used.has(connection)) continue;
      connections.delete(connection.node);
      void connection.close();
    }
  };

  /** Closes every connection; resolves once all have ended. */
  const closeAll = async (): Promise<void> => {
    connections.clear();
    await Promise.all([...opened].map((connection) => connection.close()));
  };

  // One pass at a time: two concurrent SSUBSCRIBEs of a group would race for its state.
  const resubscribe = coalesce(async () => {
    if (released) return;
    try {
      await clusterReady(cluster);
    } catch (error) {
      lastError = error;
      return;
    }
    await Promise.all(groups.filter((group) => group.owner === null).map(confirm));
    if (!released) closeIdle();
  });

  const recovery = retryLoop(() => resubscribe().then(() => groups.some((group) => group.lost)), retryDelayMs);

  const losses = watchShardLosses(cluster, {
    lose: (affected) => lose((group) => affected(group.owner, ownerOf(group))),
    refreshed: () => recovery.now(),
    ended: () => {
      // Without a slot map to follow, the connections would hold subscriptions nobody can tell are right.
      recovery.stop();
      void closeAll();
    },
  });

  return {
    get recovering() {
      return groups.some((group) => group.lost);
    },
    async ensure() {
      if (released) throw new Error('the subscriptions were released');
      const live = (): boolean => groups.every((group) => group.owner !== null);
      if (live()) return;
      await resubscribe();
      if (live()) return;
      throw lastError instanceof Error ? lastError : new Error('a channel could not be subscribed');
    },
    async release() {
      released = true;
      recovery.stop();
      losses.stop();
      await closeAll();
    },
  };
}
