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
  /** The slot map was reloaded: a lost group may be subscribed at its new master now. */
  refreshed(): void;
  /** The cluster connection ended for good: the slot map will not be followed any more. */
  ended(): void;
}

/**
 * Turns the slot map events of an ioredis 5.11 Cluster into subscription
 * losses of the feed's own subscriber connections:
 * - `refresh`: the slot map was reloaded; a live slot whose master changed
 *   (a failover, a resharding) lost its subscription with the old master.
 *   This is the backstop for a move whose unsolicited `sunsubscribe` was not
 *   seen (its master died first, say): the map is reloaded every
 *   `slotsRefreshInterval`.
 * - `end`: the cluster connection ended for good, and with it the slot map
 *   the subscriptions follow: every group is lost.
 * @returns `stop`, which removes the listeners
 */
export function watchShardLosses(cluster: Cluster, handlers: ShardLossHandlers): { stop(): void } {
  const listeners: Record<string, () => void> = {
    refresh: () => {
      handlers.lose((confirmedBy, ownerNow) => confirmedBy !== null && confirmedBy !== ownerNow);
      handlers.refreshed();
    },
    end: () => {
      handlers.lose(() => true);
      handlers.ended();
    },
  };
  for (const [event, listener] of Object.entries(listeners)) cluster.on(event, listener);
  return {
    stop() {
      for (const [event, listener] of Object.entries(listeners)) cluster.off(event, listener);
    },
  };
}
