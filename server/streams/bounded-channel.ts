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
  /** Queues a value. Returns false (and queues nothing) when the channel is full or closed. */
  push(value: T): boolean;
  /** Ends the stream after the queued values. */
  end(): void;
  /** Ends the stream with an error: queued values are dropped (freeing them at once) and the next read rejects. */
  fail(error: unknown): void;
  /** Resolves when the consumer or the producer has closed the channel. */
  readonly closed: Promise<void>;
  /** Number of queued values. */
  readonly size: number;
  /** Closes the channel from the consumer's side; settles at once. */
  return(value?: unknown): Promise<IteratorResult<T>>;
}

type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };

/**
 * Creates a channel holding at most `capacity` undelivered values.
 * @param capacity - a producer whose `push` returns false must treat the consumer as too slow
 */
export function createBoundedChannel<T>(capacity: number): BoundedChannel<T> {
  const queue: T[] = [];
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
      current.resolve({ value: queue.shift() as T, done: false });
    } else if (finished) {
      waiter = null;
      if (failure) {
        const { error } = failure;
        failure = null;
        current.reject(error);
      } else current.resolve({ value: undefined, done: true });
    }
  };

  const finish = (error?: { error: unknown }): void => {
    if (finished) return;
    finished = true;
    if (error) failure = error;
    markClosed();
    settleWaiter();
  };

  const channel: BoundedChannel<T> = {
    push(value) {
      if (finished || queue.length >= capacity) return false;
      queue.push(value);
      settleWaiter();
      return true;
    },
    end: () => finish(),
    fail: (error) => {
      queue.length = 0;
      finish({ error });
    },
    closed,
    get size() {
      return queue.length;
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
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
      queue.length = 0;
      failure = null;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      queue.length = 0;
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return channel;
    },
  };
  return channel;
}
