import type { ExecutionResult } from 'graphql';
import { createBoundedChannel, type BoundedChannel } from './bounded-channel.js';
import type { ResultBatch, ResultSink, SinkHolder } from './result-sink.js';

/**
 * An executed result as Yoga's result processors take it: its JSON text,
 * given back by `stringify` as it is, so that nothing is parsed back and
 * Yoga writes the group's very bytes.
 */
export type SerializedResult = ExecutionResult & { readonly stringify: () => string };

/** A final result that replaces whatever its reader has not taken yet. */
class FinalResult {
  constructor(readonly json: string) {}
}

/**
 * The sink of an operation whose response Yoga writes itself (`yoga.fetch`
 * in process, HTTP subscriptions without a direct writer): the group's
 * results wait here, bounded like any subscriber's queue
 * (`SUBSCRIBER_BUFFER_SIZE` results, `SUBSCRIBER_BUFFER_BYTES`), until
 * Yoga's processor pulls them from {@link IteratedSink.results}, which
 * replaces the operation's own result stream. Past either bound its
 * `bufferedBytes` reads as infinite, so the member is cut off as a slow
 * consumer. Like a distinct-mode connection, it is held: its reader is the
 * stream's lifetime.
 */
export class IteratedSink implements ResultSink {
  #channel: BoundedChannel<string> | null = null;
  #overflowed = false;
  #holder: SinkHolder | null = null;

  /** Cheap until used: every operation of a Yoga-written response gets one, and most are no subscription. */
  constructor(
    private readonly maxResults: number,
    private readonly maxBytes: number,
  ) {}

  get #queue(): BoundedChannel<string> {
    return (this.#channel ??= createBoundedChannel<string>(this.maxResults, this.maxBytes));
  }

  write(batch: ResultBatch): void {
    for (const json of batch.results) {
      if (!this.#queue.push(json, json.length) && this.#queue.open) this.#overflowed = true;
    }
  }

  get bufferedBytes(): number {
    return this.#overflowed ? Number.POSITIVE_INFINITY : this.#queue.weight;
  }

  get open(): boolean {
    return this.#queue.open;
  }

  hold(holder: SinkHolder): void {
    this.#holder = holder;
  }

  end(final?: string): void {
    this.#holder = null;
    // A final (error) result goes next: what the reader has not taken is dropped, as a slow reader's must be.
    if (final === undefined) this.#queue.end();
    else this.#queue.fail(new FinalResult(final));
  }

  /**
   * The results, for Yoga to write; `return()` ends the stream at once
   * (the reader left), running its cleanup.
   */
  results(): AsyncIterableIterator<SerializedResult> {
    const queue = this.#queue;
    const iterator: AsyncIterableIterator<SerializedResult> = {
      next: () =>
        queue.next().then(
          (step): IteratorResult<SerializedResult> => (step.done ? { value: undefined, done: true } : { value: serialized(step.value), done: false }),
          (error: unknown): IteratorResult<SerializedResult> => {
            if (error instanceof FinalResult) return { value: serialized(error.json), done: false };
            throw error;
          },
        ),
      return: () => {
        const holder = this.#holder;
        this.#holder = null;
        void queue.return();
        holder?.connectionClosed();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

function serialized(json: string): SerializedResult {
  return { stringify: () => json };
}
