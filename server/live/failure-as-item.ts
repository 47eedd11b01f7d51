import type { StreamFailure } from '../domain/events.js';

/**
 * Turns a rejection of `source.next()` into one final {@link StreamFailure}
 * item, then ends; `return()` passes straight through.
 */
export function failureAsItem<T>(source: AsyncIterableIterator<T>): AsyncIterableIterator<T | StreamFailure> {
  let failed = false;
  const iterator: AsyncIterableIterator<T | StreamFailure> = {
    async next() {
      if (failed) return { value: undefined, done: true };
      try {
        return await source.next();
      } catch (error) {
        failed = true;
        return { value: { type: 'StreamFailure', error }, done: false };
      }
    },
    return: (value?: unknown) => (source.return ? source.return(value) : Promise.resolve({ value: undefined, done: true })),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
