import type { Cluster } from 'ioredis';
import { coalesce } from './coalesce.js';
import { retryLoop } from './retry-loop.js';
import { watchShardLosses } from './shard-losses.js';
import { groupBySlot, type SlotGroup } from './slot-groups.js';

/** Options of {@link shardedSubscriptions}. */
export interface ShardedSubscriptionsOptions {
  /** Created with `shardedSubscribers: true` and dedicated to `channels`. Not quit here. */
  readonly cluster: Cluster;
  readonly channels: readonly string[];
  /**
   * Called when channels that were live stop being live, once per event
   * that ended their subscription: their master's subscriber connection
   * ended, their slot moved to another master, or the whole cluster
   * connection closed. Must not throw.
   */
  readonly onLost: () => void;
  /**
   * Delay before the `attempt`-th (from 0) timed retry to resubscribe lost
   * channels. Retries also run at once whenever ioredis reports its
   * subscribers ready; the timer covers the SSUBSCRIBEs that ioredis sends
   * by itself and drops when they fail.
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
  /** SUNSUBSCRIBEs every channel and stops resubscribing. Final. */
  release(): Promise<void>;
}

/** The default retry delays: 100 ms, doubling up to 2 s. */
export const resubscribeBackoff = (attempt: number): number => Math.min(100 * 2 ** attempt, 2_000);

/** One slot group's subscription, as far as this process can tell. */
interface GroupState extends SlotGroup {
  /** The master whose subscriber connection confirmed SSUBSCRIBE; null while the group is not live. */
  owner: string | null;
  /** Was live, then lost: resubscribed in the background. */
  lost: boolean;
  /** SSUBSCRIBE was sent at least once, so ioredis lists the channels to resubscribe by itself. */
  sent: boolean;
  /** Bumped by every event that may have ended the subscription: a confirmation that spans one is not trusted. */
  generation: number;
}

const ignore = (): void => {};

/**
 * Subscribes `channels` through ioredis's sharded subscriber group (one
 * connection per master) and tracks, per slot, whether the subscription is
 * live: confirmed by the master that owns the slot now, on a connection that
 * has not ended since. Lost slots are reported and resubscribed.
 *
 * ioredis resubscribes by itself too, but its SSUBSCRIBE is not awaited (a
 * refusal, such as CLUSTERDOWN from a master that has just restarted, is
 * dropped) and says nothing when done, so live means confirmed here. And its
 * list of channels to resubscribe gains a copy of the channels for every
 * SSUBSCRIBE it routes, failed and retried ones included (ioredis 5.11; 18
 * channels became 60 entries over six master restarts). Each resubscription
 * here first SUNSUBSCRIBEs, which removes every copy, so the list stays at
 * one per channel.
 */
export function shardedSubscriptions(options: ShardedSubscriptionsOptions): ShardedSubscriptions {
  const { cluster, channels, onLost, retryDelayMs = resubscribeBackoff } = options;
  const groups: GroupState[] = groupBySlot(channels).map((group) => ({ ...group, owner: null, lost: false, sent: false, generation: 0 }));
  const ownerOf = (group: SlotGroup): string | null => cluster.slots[group.slot]?.[0] ?? null;
  let released = false;
  let lastError: unknown = null;
  // ioredis emits `error` on the Cluster when a subscriber connection cannot be opened, and with no
  // listener that throws inside its promise chain: an unhandled rejection, fatal on Node 20. The
  // failure itself reaches us as a lost slot (`-node`). Left on the cluster for good, like ioredis's own.
  cluster.on('error', ignore);

  const unsubscribe = async (group: GroupState): Promise<void> => {
    group.owner = null;
    group.sent = false;
    // Fails only when the connection is gone, and its subscription with it; ioredis has already
    // dropped the channels from its resubscribe list before sending.
    await cluster.sunsubscribe(...group.channels).catch(ignore);
  };

  const confirm = async (group: GroupState): Promise<void> => {
    const generation = group.generation;
    try {
      // Removes ioredis's copies of the channels; a failure leaves them to the SSUBSCRIBE below.
      if (group.sent) await cluster.sunsubscribe(...group.channels).catch(ignore);
      group.sent = true;
      await cluster.ssubscribe(...group.channels);
    } catch (error) {
      lastError = error;
      return;
    }
    // release() ran while SSUBSCRIBE was in flight: undo it.
    if (released) return unsubscribe(group);
    if (group.generation !== generation) return;
    group.owner = ownerOf(group);
    if (group.owner !== null) group.lost = false;
  };

  // One pass at a time: two concurrent SSUBSCRIBEs of a group would leave two copies in ioredis's list.
  const resubscribe = coalesce(async () => {
    if (!released) await Promise.all(groups.filter((group) => group.owner === null).map(confirm));
  });

  const recovery = retryLoop(() => resubscribe().then(() => groups.some((group) => group.lost)), retryDelayMs);

  const losses = watchShardLosses(cluster, {
    lose(affected) {
      let lostLive = false;
      for (const group of groups) {
        if (!affected(group.owner, ownerOf(group))) continue;
        group.generation++;
        if (group.owner === null) continue;
        group.owner = null;
        group.lost = lostLive = true;
      }
      if (lostLive) {
        onLost();
        recovery.start();
      }
    },
    subscribersReady: () => recovery.now(),
    ended: () => recovery.stop(),
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
      await Promise.all(groups.filter((group) => group.sent).map(unsubscribe));
    },
  };
}
