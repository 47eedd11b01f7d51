import type { ActivityChange } from '../domain/activity.js';

/** Receives changes; must not throw (an exception is logged and dropped). */
export type ChangeListener = (change: ActivityChange) => void;

/**
 * Carries every change to every Pulse process.
 *
 * Guarantees: each listener receives the changes of one `publish` call
 * together and in their order, and changes of different calls in the order
 * the backend accepted them. Delivery is at-most-once: a process that is
 * disconnected from the backend misses what was published meanwhile.
 * Each process holds one backend subscription, however many listeners.
 */
export interface EventBus {
  /** Publishes changes to every process. Rejects when the backend refuses them. */
  publish(changes: readonly ActivityChange[]): Promise<void>;
  /**
   * Adds a listener. Resolves once the listener is live (changes published
   * after that are delivered to it) with a function that removes it.
   */
  subscribe(listener: ChangeListener): Promise<() => void>;
  /** Number of listeners in this process. */
  readonly listenerCount: number;
  /** Removes every listener and releases the backend subscription. */
  close(): Promise<void>;
}
