import type { PulseServices } from '../resolvers/context.js';

/**
 * What bounds the output Pulse holds for one connection (a graphql-ws
 * socket, a single-connection SSE stream), whatever its operations are:
 * past either bound the connection is dropped as a slow consumer.
 */
export interface OutputBounds {
  /** Most operations running or waiting at once on one connection (`MAX_OPERATIONS_PER_CONNECTION`). */
  readonly maxOperations: number;
  /**
   * Most bytes written to the connection and not yet taken by its peer,
   * estimated as each message's length (`SUBSCRIBER_BUFFER_BYTES`, the
   * measure and setting of a subscriber's own queue).
   */
  readonly maxBufferedBytes: number;
  /** Told once per connection dropped for passing a bound (`pulse_slow_consumer_disconnects_total`). */
  readonly onSlowConsumer: () => void;
}

/**
 * The bounds of every connection of a Pulse process, from its settings:
 * `MAX_OPERATIONS_PER_CONNECTION`, and `SUBSCRIBER_BUFFER_BYTES` for unread
 * output; a drop counts in `pulse_slow_consumer_disconnects_total`.
 */
export function outputBoundsOf(maxOperationsPerConnection: number, services: Pick<PulseServices, 'limits' | 'metrics'>): OutputBounds {
  return {
    maxOperations: maxOperationsPerConnection,
    maxBufferedBytes: services.limits.subscriberBufferBytes,
    onSlowConsumer: () => services.metrics.slowConsumerDisconnects.inc(),
  };
}

/**
 * Where an operation starts producing output: at most half the byte bound
 * may be unread then, so that its result (and a subscriber's next event)
 * still fits under the bound behind what is waiting.
 */
export function startMark(bounds: OutputBounds): number {
  return Math.floor(bounds.maxBufferedBytes / 2);
}

/**
 * Starts a connection's operations one at a time, each once the connection
 * has room for its output (`room` resolves; see {@link startMark}), and
 * lets the next start when its start is done: a query's result written, a
 * subscription's first event out. So a client that reads gets every result,
 * however many it asked for at once, and one that does not read holds only
 * its waiting requests, never their results, until it passes
 * `MAX_OPERATIONS_PER_CONNECTION` and is dropped.
 */
export class OutputGate {
  #tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly room: () => Promise<void>) {}

  /** Runs `start` in turn, once there is room; resolves or rejects with it. */
  run<T>(start: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(() => this.room()).then(start);
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}
