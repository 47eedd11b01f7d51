import type { DropReason } from '../open-streams.js';

/** What holds a sink's stream (see {@link ResultSink.hold}). */
export interface SinkHolder {
  /** The connection closed before the holder ended the stream. */
  connectionClosed(): void;
}

/**
 * Results written together: the JSON texts of one or more execution
 * results, in order (a fan-out group's changes of one tick, or one event of
 * one member). Each transport frames a batch once, through
 * {@link ResultBatch.framed}, and every member that writes the same batch
 * over the same transport writes the same bytes.
 */
export class ResultBatch {
  readonly #framings = new Map<string, unknown>();

  constructor(readonly results: readonly string[]) {}

  /** The batch framed by `transport`'s `frame`, computed on the first call and shared after. */
  framed<T>(transport: string, frame: (results: readonly string[]) => T): T {
    let framing = this.#framings.get(transport) as T | undefined;
    if (framing === undefined) {
      framing = frame(this.results);
      this.#framings.set(transport, framing);
    }
    return framing;
  }
}

/**
 * Where one subscriber's results go, already framed for its transport.
 *
 * A fan-out group executes and serialises each event once and hands the
 * same batch to every member's sink; the sink only adds its transport's
 * framing (SSE `event: next` blocks, the operation id of a single
 * connection stream or of a graphql-ws message) and writes it to the
 * connection at once, without another queue in between.
 */
export interface ResultSink {
  /**
   * Writes results, in order. Writes made before the connection is ready
   * (a response whose head is not out yet) are kept, in order, until it is.
   */
  write(batch: ResultBatch): void;
  /**
   * Bytes written but not yet taken by the peer (the response's or socket's
   * buffer). The subscriber's byte bound (`SUBSCRIBER_BUFFER_BYTES`) applies
   * to this: past it the subscriber is dropped as a slow consumer. 0 once the
   * connection is gone (a connection that dropped itself for passing its own
   * bound, counted once there).
   */
  readonly bufferedBytes: number;
  /** False once the connection is gone; later writes are ignored. */
  readonly open: boolean;
  /**
   * Present on sinks that can end their stream themselves (graphql-sse
   * distinct connections, whose connection is the stream), with
   * {@link ResultSink.end}. The operation then lets its transport's
   * iterator end right after the first event, so that nothing of the
   * request (Yoga's context, the executor's state, the web stream) stays in
   * memory for the stream's life; the stream goes on until the holder ends
   * it. `holder.connectionClosed()` runs once if the connection closes
   * first. An object, not a callback, so that holding costs no closure.
   */
  hold?(holder: SinkHolder): void;
  /**
   * Ends a held stream (see {@link ResultSink.hold}): with `final` (the JSON
   * of a last, error result) if given, then `complete`. Ending one that
   * never started (a refused subscription) writes nothing.
   */
  end?(final?: string): void;
  /**
   * Present on sinks that are their connection (a distinct-mode stream
   * served before Yoga): drops it, as a transport's `DropConnection` does,
   * for a stream whose request brings none.
   */
  dropConnection?(reason: DropReason): boolean;
}
