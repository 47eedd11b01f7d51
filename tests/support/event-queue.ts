/**
 * Collects values pushed by a callback or an async iterable so a test can
 * wait for the next one (or for one matching a predicate) with a timeout,
 * instead of sleeping and hoping.
 */
export class EventQueue<T> {
  readonly #buffer: T[] = [];
  readonly #waiters: Array<(value: T) => void> = [];
  #failure: unknown = null;
  #ended = false;
  /** Everything received so far, in order. */
  readonly seen: T[] = [];

  /** Adds a value, waking the oldest waiter. */
  push = (value: T): void => {
    this.seen.push(value);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(value);
    else this.#buffer.push(value);
  };

  /** Marks the source as failed; pending and later waits reject with it. */
  fail = (error: unknown): void => {
    this.#failure = error ?? new Error('source failed');
  };

  /** Marks the source as finished. */
  end = (): void => {
    this.#ended = true;
  };

  get ended(): boolean {
    return this.#ended;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Resolves with the next value, or rejects after `timeoutMs`. */
  next(timeoutMs = 5_000, what = 'the next event'): Promise<T> {
    const buffered = this.#buffer.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        const state = this.#failure ? ` (source failed: ${String(this.#failure)})` : this.#ended ? ' (source ended)' : '';
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`));
      }, timeoutMs);
      const waiter = (value: T): void => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Skips values until one matches; resolves with it. */
  async waitFor<U extends T>(predicate: (value: T) => value is U, timeoutMs?: number, what?: string): Promise<U>;
  async waitFor(predicate: (value: T) => boolean, timeoutMs?: number, what?: string): Promise<T>;
  async waitFor(predicate: (value: T) => boolean, timeoutMs = 5_000, what = 'a matching event'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.next(Math.max(1, deadline - Date.now()), what);
      if (predicate(value)) return value;
    }
  }

  /** Everything buffered and not yet taken. */
  drain(): T[] {
    return this.#buffer.splice(0);
  }
}
