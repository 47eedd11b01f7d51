/**
 * Where one subscriber's results go, already framed for its transport.
 *
 * A fan-out group executes and serialises each event once and hands the
 * same JSON text to every member's sink; the sink only adds its transport's
 * framing (an SSE `event: next` block, the operation id of a single
 * connection stream or of a graphql-ws message) and writes it to the
 * connection at once, without another queue in between.
 */
export interface ResultSink {
  /**
   * Writes one execution result, given as its JSON text (`{"data":...}`).
   * Writes made before the connection is ready (a response whose headers
   * are not out yet) are kept, in order, until it is.
   */
  next(resultJson: string): void;
  /**
   * Bytes written but not yet taken by the peer (the response's or socket's
   * buffer). The subscriber's byte bound (`SUBSCRIBER_BUFFER_BYTES`) applies
   * to this: past it the subscriber is dropped as a slow consumer.
   */
  readonly bufferedBytes: number;
  /** False once the connection is gone; later writes are ignored. */
  readonly open: boolean;
}
