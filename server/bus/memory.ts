import type { ActivityChange } from '../domain/activity.js';
import { ListenerSet } from './listeners.js';
import type { ChangeFeed } from './types.js';

/** Options of {@link createMemoryFeed}. */
export interface MemoryFeedOptions {
  /** Called with what a listener threw. @defaultValue ignore */
  onListenerError?: (error: unknown) => void;
}

/**
 * The embedded feed and its one way in. `deliver` goes to the memory store
 * alone (the composition root passes it as the store's `deliver`), so the
 * store stays the only publisher; everyone else gets `feed`.
 */
export interface MemoryFeed {
  /** The subscribe-only side, for the live fan-out. */
  readonly feed: ChangeFeed;
  /** Hands one write's changes to every listener, synchronously and in order; never throws. */
  readonly deliver: (changes: readonly ActivityChange[]) => void;
}

/**
 * The embedded change feed: one process, synchronous delivery in write
 * order, nothing lost while the process runs.
 */
export function createMemoryFeed({ onListenerError = () => {} }: MemoryFeedOptions = {}): MemoryFeed {
  const listeners = new ListenerSet(onListenerError);
  const feed = {
    async subscribe(listener) {
      return listeners.add(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    async close() {
      listeners.clear();
    },
  } satisfies ChangeFeed;
  return { feed, deliver: (changes) => listeners.deliver(changes) };
}
