import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { DropConnection } from '../streams/open-streams.js';

/**
 * The event-stream connection of each connected single-connection
 * reservation, by its token: what an operation's drop destroys, and what
 * its results wait on while the client is not reading.
 */
export class StreamConnections {
  readonly #byToken = new Map<string, ServerResponse>();

  /** Records the response that streams `token`'s operations, until it closes. */
  attach(token: string, res: ServerResponse): void {
    this.#byToken.set(token, res);
    res.once('close', () => {
      if (this.#byToken.get(token) === res) this.#byToken.delete(token);
    });
  }

  /**
   * Drops the connection of `token`: every operation on it ends without
   * `complete`, siblings included; their clients reconnect and resume. False
   * when the stream is not connected (yet, or any more).
   */
  dropper(token: string): DropConnection {
    return () => {
      const res = this.#byToken.get(token);
      if (res === undefined || res.destroyed) return false;
      res.destroy();
      return true;
    };
  }

  /**
   * Resolves when `token`'s connection can take more data. graphql-sse
   * queues every result of a connection in an unbounded array as soon as it
   * is produced; pulling from an operation only when the socket is drained
   * leaves the backlog in the subscriber's own bounded queue, where a slow
   * reader is noticed.
   */
  async drained(token: string): Promise<void> {
    const res = this.#byToken.get(token);
    if (res === undefined || !res.writableNeedDrain || res.destroyed) return;
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
}

/**
 * Pulls from `source` only once `ready()` resolves; `return()` and `throw()`
 * go straight to the source, so its cleanup runs at once even while a pull waits.
 */
export function paced<T>(source: AsyncIterable<T>, ready: () => Promise<void>): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      await ready();
      return inner.next();
    },
    return: (value?: unknown) => (inner.return ? inner.return(value) : Promise.resolve({ value: undefined, done: true })),
    // graphql-sse stops an operation only when its result looks like a generator: `next`, `return` and `throw`.
    throw: (error?: unknown) => (inner.throw ? inner.throw(error) : Promise.reject(error)),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
