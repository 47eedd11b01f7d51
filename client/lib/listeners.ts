/**
 * A set of listeners for one kind of value. A throwing listener disturbs
 * neither the others nor the caller (a connection must not break because a
 * view failed to render): its error is rethrown from a microtask, so it is
 * reported the way an uncaught error is, as an `EventTarget` would do.
 */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  /** Adds `listener` (once, however often it is added) and returns its removal. */
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls every listener with `value`, in the order they were added. */
  emit(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
