/**
 * Puts an already-read first value back in front of an iterator. `return()`
 * and `throw()` go straight to the source so that its cleanup runs at once.
 */
export function withFirst<T>(first: T, rest: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  let firstPending = true;
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (!firstPending) return rest.next();
      firstPending = false;
      return Promise.resolve({ value: first, done: false });
    },
    return(value?: unknown) {
      firstPending = false;
      return rest.return ? rest.return(value) : Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      firstPending = false;
      return rest.throw ? rest.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
