import type { ActivityChange } from '../domain/activity.js';
import type { ChangeListener } from './types.js';

/**
 * The in-process fan-out every change feed ends in: a set of listeners, each called
 * for each change; one listener's exception cannot starve the others.
 */
export class ListenerSet {
  readonly #listeners = new Set<ChangeListener>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  /** Adds a listener; the returned function removes it (idempotent). */
  add(listener: ChangeListener): () => void {
    // Wrapped so the same function can be added twice and removed independently.
    const entry: ChangeListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Calls every listener with every change, in order. */
  deliver(changes: readonly ActivityChange[]): void {
    for (const change of changes) {
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch (error) {
          this.onListenerError(error);
        }
      }
    }
  }

  /** Number of listeners. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
