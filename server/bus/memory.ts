import type { ActivityChange } from '../domain/activity.js';
import { ListenerSet } from './listeners.js';
import type { EventBus } from './types.js';

/** Options of {@link createMemoryBus}. */
export interface MemoryBusOptions {
  /** Called with what a listener threw. @defaultValue ignore */
  onListenerError?: (error: unknown) => void;
}

/**
 * The embedded bus: one process, synchronous delivery in publish order.
 * Never loses a change while the process runs.
 */
export function createMemoryBus({ onListenerError = () => {} }: MemoryBusOptions = {}): EventBus {
  const listeners = new ListenerSet(onListenerError);
  return {
    async publish(changes: readonly ActivityChange[]) {
      listeners.deliver(changes);
    },
    async subscribe(listener) {
      return listeners.add(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    async close() {
      listeners.clear();
    },
  } satisfies EventBus;
}
