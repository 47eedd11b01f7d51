import type { ActivityChange } from '../domain/activity.js';

/** Receives changes; must not throw (an exception is reported and dropped). */
export type ChangeListener = (change: ActivityChange) => void;

/**
 * The change feed: how every Pulse process hears of every store write.
 *
 * Subscribe-only: the store is the one publisher (in Redis mode its Lua
 * scripts PUBLISH each write's changes in the same transaction; in memory
 * mode the memory store hands them to the feed it was created with), so a
 * change is on the feed if and only if a write committed it.
 *
 * Guarantees:
 * - Order: each listener receives the changes of one write together and in
 *   their order, and the changes of different writes in the order the
 *   backend accepted them (cursor order within one store). On Redis Cluster
 *   (`redis-sharded.ts`) that holds within each partition's channel only.
 * - Delivery: exactly once per listener in memory mode (one process, nothing
 *   in between); at-most-once on Redis, whose pub/sub keeps nothing: a
 *   process disconnected from Redis misses what was published meanwhile,
 *   and resumes from the store's history (`ActivityStore.replay`).
 * - One backend subscription per process (per channel on Redis Cluster),
 *   however many listeners: the feed fans out in memory.
 */
export interface ChangeFeed {
  /**
   * Adds a listener. Resolves once the listener is live (changes published
   * after that are delivered to it) with a function that removes it
   * (idempotent). Rejects, adding nothing, when the feed is closed or the
   * backend cannot subscribe now.
   */
  subscribe(listener: ChangeListener): Promise<() => void>;
  /** Number of listeners in this process. */
  readonly listenerCount: number;
  /** Removes every listener and releases the backend subscription. */
  close(): Promise<void>;
}
