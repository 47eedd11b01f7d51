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
  const queue: Array<{ value: T; weight: number }> = [];
  let queuedWeight = 0;
  let waiter: Waiter<T> | null = null;
  let finished = false;
  let failure: { error: unknown } | null = null;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const settleWaiter = (): void => {
    if (!waiter) return;
    const current = waiter;
    if (queue.length > 0) {
      waiter = null;
      current.resolve({ value: take(), done: false });
    } else if (finished) {
      waiter = null;
      if (failure) {
        const { error } = failure;
        failure = null;
        current.reject(error);
      } else current.resolve({ value: undefined, done: true });
    }
  };

  const take = (): T => {
    const entry = queue.shift() as { value: T; weight: number };
    queuedWeight -= entry.weight;
    return entry.value;
  };
  const clear = (): void => {
    queue.length = 0;
    queuedWeight = 0;
  };

  const finish = (error?: { error: unknown }): void => {
    if (finished) return;
    finished = true;
    if (error) failure = error;
    markClosed();
    settleWaiter();
  };

  const channel: BoundedChannel<T> = {
    push(value, weight = 1) {
      if (finished || queue.length >= capacity) return false;
      if (queue.length > 0 && queuedWeight + weight > maxWeight) return false;
      queue.push({ value, weight });
      queuedWeight += weight;
      settleWaiter();
      return true;
    },
    end: () => finish(),
    fail: (error) => {
      clear();
      finish({ error });
    },
    closed,
    get size() {
      return queue.length;
    },
    get weight() {
      return queuedWeight;
    },
    get open() {
      return !finished;
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ value: take(), done: false });
      if (finished) {
        if (failure) {
          const { error } = failure;
          failure = null;
          return Promise.reject(error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return() {
      clear();
      failure = null;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      clear();
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return channel;
    },
  };
  return channel;
}
