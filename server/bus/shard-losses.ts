import type { Cluster } from 'ioredis';

/**
 * Picks the slot groups a loss touches, from the master whose connection
 * confirmed the group's subscription (null while it is not live) and the
 * master that owns its slot now.
 */
export type LossFilter = (confirmedBy: string | null, ownerNow: string | null) => boolean;

/** What {@link watchShardLosses} reports. */
export interface ShardLossHandlers {
  /** The subscriptions of the groups `affected` selects may have ended. */
  lose(affected: LossFilter): void;
  /** ioredis has (re)started its sharded subscriber connections and sent its own SSUBSCRIBEs (not awaited, maybe refused). */
  subscribersReady(): void;
  /** The cluster connection ended for good: nothing will come back. */
  ended(): void;
}

/**
 * Turns the events of an ioredis 5.11 Cluster with sharded subscribers
 * into subscription losses:
 * - `-node` with a node key: the sharded subscriber connection to that
 *   master ended (ioredis does not reconnect it; its subscriber group opens
 *   a new one). The connection pool emits `-node` without the key for
 *   command connections, which hold no subscription: ignored.
 * - `refresh`: the slot map was reloaded; a live slot whose master changed
 *   (a failover, a resharding) lost its subscription with the old master.
 * - `close`: the whole cluster connection closed, every subscriber with it.
 * @returns `stop`, which removes the listeners
 */
export function watchShardLosses(cluster: Cluster, handlers: ShardLossHandlers): { stop(): void } {
  const listeners: Record<string, (...args: unknown[]) => void> = {
    '-node': (_node, nodeKey) => {
      if (typeof nodeKey === 'string') handlers.lose((confirmedBy, ownerNow) => confirmedBy === nodeKey || ownerNow === nodeKey);
    },
    refresh: () => handlers.lose((confirmedBy, ownerNow) => confirmedBy !== null && confirmedBy !== ownerNow),
    close: () => handlers.lose(() => true),
    subscribersReady: () => handlers.subscribersReady(),
    end: () => handlers.ended(),
  };
  for (const [event, listener] of Object.entries(listeners)) cluster.on(event, listener);
  return {
    stop() {
      for (const [event, listener] of Object.entries(listeners)) cluster.off(event, listener);
    },
  };
}
