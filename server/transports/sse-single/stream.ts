import type { ServerResponse } from 'node:http';
import type { ResultBatch, ResultSink } from '../../live/fanout/result-sink.js';
import type { KeepAlive, KeepAliveTarget } from '../keep-alive.js';
import type { OutputBounds } from '../output-bounds.js';

/** An SSE comment: clients skip it, proxies and sockets see traffic. */
const PING = ':\n\n';

/** The constructors {@link SseStream.response} builds with (Yoga's `fetchAPI`). */
export interface StreamFetchApi {
  readonly Response: typeof Response;
  readonly ReadableStream: typeof ReadableStream;
}

/**
 * The event stream of one connected single-connection reservation, written
 * straight to Node's response, so that the bytes of a result go out in the
 * call that produced them, and what the peer has not taken yet is the
 * response's own `writableLength`.
 *
 * The head goes out through Yoga ({@link SseStream.response}), so its
 * `onResponse` hooks (request id and log line, proxy and CORS headers) apply
 * as to every response; once Node has written it, the stream takes the
 * response over. Frames written before then are kept, in order, until it
 * does. A keep-alive comment follows the head and every period of `keepAlive` while
 * nothing else is waiting to go out.
 *
 * What the peer has not taken is bounded (`bounds.maxBufferedBytes`, for
 * every operation's output together): a frame written while more than that
 * waits drops the connection as a slow consumer instead.
 */
export class SseStream implements KeepAliveTarget {
  readonly #res: ServerResponse;
  readonly #keepAlive: KeepAlive;
  readonly #bounds: OutputBounds;
  /** Frames waiting for the head; null once the stream owns the response. */
  #early: string[] | null = [];
  #earlyBytes = 0;
  #open = true;
  #stopPings: (() => void) | undefined;
  readonly #closedListeners = new Set<() => void>();
  /** Writers waiting for room: woken on `drain`, when the head is out, and on close. */
  readonly #wakers = new Set<() => void>();
  /** Resolves once the stream is closed, whoever closed it. */
  readonly closed: Promise<void>;

  constructor(res: ServerResponse, keepAlive: KeepAlive, bounds: OutputBounds) {
    this.#res = res;
    this.#keepAlive = keepAlive;
    this.#bounds = bounds;
    this.closed = new Promise((resolve) => this.#closedListeners.add(resolve));
    res.once('close', () => this.#close());
    res.on('drain', () => this.#wake());
    // The client may have left while the reservation was being connected: no `close` event is coming.
    if (res.destroyed) this.#close();
  }

  /** The response to hand Yoga: the SSE head, and a body whose first read (after the head was written) hands the response to this stream. */
  response(fetchApi: StreamFetchApi): Response {
    const body = new fetchApi.ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          // Ends the body Node is reading from once the response is gone, so nothing waits on it.
          const end = (): void => {
            try {
              controller.close();
            } catch {
              // already closed or cancelled by the response's own teardown
            }
          };
          if (this.#open) this.#closedListeners.add(end);
          else end();
        },
        pull: () => {
          this.#takeOver();
          return this.closed;
        },
      },
      { highWaterMark: 0 },
    );
    return new fetchApi.Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
    });
  }

  /** Writes one `next` message of operation `id`; `resultJson` is an execution result's JSON text. */
  next(id: string, resultJson: string): void {
    this.#write(nextMessage(JSON.stringify(id), resultJson));
  }

  /** Writes a `next` message of operation `id` per result of `batch`, in one write. */
  nextAll(id: string, batch: ResultBatch): void {
    const quotedId = JSON.stringify(id);
    this.#write(batch.results.map((resultJson) => nextMessage(quotedId, resultJson)).join(''));
  }

  /** Writes the `complete` message of operation `id`: the client forgets it. */
  complete(id: string): void {
    this.#write(`event: complete\ndata: {"id":${JSON.stringify(id)}}\n\n`);
  }

  /** A {@link ResultSink} writing operation `id`'s results to this stream. */
  sink(id: string): ResultSink {
    return new OperationSink(this, id);
  }

  /** False once the connection is closed or dropped. */
  get open(): boolean {
    return this.#open;
  }

  /** Bytes written and not yet taken by the peer (or kept until the head is out); none once closed, its buffers gone with it. */
  get bufferedBytes(): number {
    if (!this.#open) return 0;
    return this.#early === null ? this.#res.writableLength : this.#earlyBytes;
  }

  /** Resolves when more can be written: at once, or when the socket drained, the head went out, or the stream closed. */
  async drained(): Promise<void> {
    if (!this.#open || !this.#mustWait()) return;
    await new Promise<void>((resolve) => this.#wakers.add(resolve));
  }

  /**
   * Resolves once at most `maxBytes` wait unread (or Node's own buffer asks
   * for nothing more, or the stream closed): when an operation may start
   * producing output.
   */
  async room(maxBytes: number): Promise<void> {
    while (this.#open && this.bufferedBytes > maxBytes && this.#mustWait()) await new Promise<void>((resolve) => this.#wakers.add(resolve));
  }

  #mustWait(): boolean {
    return this.#early === null ? this.#res.writableNeedDrain : this.#early.length > 0;
  }

  /**
   * Drops the connection abruptly: no `complete` for anyone, so every client
   * operation on it reconnects and resumes. False when already closed.
   */
  drop(): boolean {
    if (!this.#open) return false;
    // Closed at once, not on the socket's `close` event, so nothing more is written meanwhile.
    this.#close();
    this.#res.destroy();
    return true;
  }

  /** Drops the connection as a slow consumer (a bound was passed), counted once. */
  dropAsSlowConsumer(): void {
    if (this.drop()) this.#bounds.onSlowConsumer();
  }

  #takeOver(): void {
    if (this.#early === null || !this.#open) return;
    const early = this.#early;
    this.#early = null;
    this.#earlyBytes = 0;
    this.#res.write(PING + early.join(''));
    this.#wake();
    this.#stopPings = this.#keepAlive.add(this);
  }

  /** Writes a keep-alive comment (called by the shared {@link KeepAlive}). */
  ping(): void {
    // Data already waiting keeps the connection busy; a ping behind it would add nothing.
    if (this.#open && this.#res.writableLength === 0) this.#res.write(PING);
  }

  #write(frame: string): void {
    if (!this.#open) return;
    // Operations start only with room (see `room`): more than the bound unread means the peer stopped reading.
    if (this.bufferedBytes > this.#bounds.maxBufferedBytes) return this.dropAsSlowConsumer();
    if (this.#early === null) {
      this.#res.write(frame);
      return;
    }
    this.#early.push(frame);
    this.#earlyBytes += Buffer.byteLength(frame);
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#stopPings?.();
    this.#early = null;
    for (const listener of [...this.#closedListeners]) listener();
    this.#closedListeners.clear();
    this.#wake();
  }

  #wake(): void {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }
}

/** A single-connection `next` message: the operation's id (as JSON) around a shared result. */
function nextMessage(quotedId: string, resultJson: string): string {
  return `event: next\ndata: {"id":${quotedId},"payload":${resultJson}}\n\n`;
}

/** One operation's view of a stream: its results, framed with its id. */
class OperationSink implements ResultSink {
  constructor(
    private readonly stream: SseStream,
    private readonly id: string,
  ) {}

  write(batch: ResultBatch): void {
    this.stream.nextAll(this.id, batch);
  }

  get bufferedBytes(): number {
    return this.stream.bufferedBytes;
  }

  get open(): boolean {
    return this.stream.open;
  }
}
