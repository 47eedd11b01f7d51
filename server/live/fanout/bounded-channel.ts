/**
 * A single-consumer async queue with a hard bound, the buffer between one
 * subscriber and everything that produces its events.
 *
 * Why not an `async function*`: its `return()` waits behind a pending
 * `next()`, so cleanup could wait forever for an event. Here `return()`
 * settles at once, wakes a waiting `next()`, and fires `onClose` so the
 * producer's `finally` runs immediately.
 */
export interface BoundedChannel<T> extends AsyncIterableIterator<T> {
  /**
   * Queues a value weighing `weight` (e.g. its estimated bytes). Returns
   * false (and queues nothing) when the channel is closed, or when the value
   * would pass either bound; a value alone in the queue is always taken, so
   * one event heavier than the weight bound cannot wedge a stream.
   */
  push(value: T, weight?: number): boolean;
  /** Ends the stream after the queued values. */
  end(): void;
  /** Ends the stream with an error: queued values are dropped (freeing them at once) and the next read rejects. */
  fail(error: unknown): void;
  /** Resolves when the consumer or the producer has closed the channel. */
  readonly closed: Promise<void>;
  /** Number of queued values. */
  readonly size: number;
  /** Total weight of the queued values. */
  readonly weight: number;
  /** False once either side has closed the channel. */
  readonly open: boolean;
  /** Closes the channel from the consumer's side; settles at once. */
  return(value?: unknown): Promise<IteratorResult<T>>;
}

type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };

/**
 * Creates a channel holding at most `capacity` undelivered values, weighing
 * at most `maxWeight` together.
 * @param capacity - a producer whose `push` returns false on an open channel must treat the consumer as too slow
 * @param maxWeight - bound on the sum of the queued values' weights @defaultValue Infinity (count only)
 */
export function createBoundedChannel<T>(capacity: number, maxWeight = Number.POSITIVE_INFINITY): BoundedChannel<T> {
  return new Channel<T>(capacity, maxWeight);
}

/**
 * A class, not closures in an object literal: one channel lives as long as
 * its subscriber, and its methods are shared on the prototype instead of
 * allocated per subscriber.
 */
class Channel<T> implements BoundedChannel<T> {
  readonly #queue: Array<{ value: T; weight: number }> = [];
  #queuedWeight = 0;
  #waiter: Waiter<T> | null = null;
  #finished = false;
  #failure: { error: unknown } | null = null;
  #markClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.#markClosed = resolve));

  constructor(
    private readonly capacity: number,
    private readonly maxWeight: number,
  ) {}

  push(value: T, weight = 1): boolean {
    if (this.#finished || this.#queue.length >= this.capacity) return false;
    if (this.#queue.length > 0 && this.#queuedWeight + weight > this.maxWeight) return false;
    this.#queue.push({ value, weight });
    this.#queuedWeight += weight;
    this.#settleWaiter();
    return true;
  }

  end(): void {
    this.#finish();
  }

  fail(error: unknown): void {
    this.#clear();
    this.#finish({ error });
  }

  get size(): number {
    return this.#queue.length;
  }

  get weight(): number {
    return this.#queuedWeight;
  }

  get open(): boolean {
    return !this.#finished;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#take(), done: false });
    if (this.#finished) {
      const failure = this.#failure;
      if (failure) {
        this.#failure = null;
        return Promise.reject(failure.error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#clear();
    this.#failure = null;
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.#clear();
    this.#finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    if (this.#queue.length > 0) {
      this.#waiter = null;
      waiter.resolve({ value: this.#take(), done: false });
    } else if (this.#finished) {
      this.#waiter = null;
      const failure = this.#failure;
      if (failure) {
        this.#failure = null;
        waiter.reject(failure.error);
      } else waiter.resolve({ value: undefined, done: true });
    }
  }

  #take(): T {
    const entry = this.#queue.shift() as { value: T; weight: number };
    this.#queuedWeight -= entry.weight;
    return entry.value;
  }

  #clear(): void {
    this.#queue.length = 0;
    this.#queuedWeight = 0;
  }

  #finish(error?: { error: unknown }): void {
    if (this.#finished) return;
    this.#finished = true;
    if (error) this.#failure = error;
    this.#markClosed();
    this.#settleWaiter();
  }
}
