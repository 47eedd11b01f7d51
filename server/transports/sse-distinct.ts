import type { ServerResponse } from 'node:http';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import { ResultBatch, type ResultSink, type SinkHolder } from '../live/fanout/result-sink.js';
import { serializeResult } from '../live/fanout/serialize-result.js';
import { KeepAlive, type KeepAliveTarget } from './keep-alive.js';
import { COMPLETE, DISTINCT_FRAMING, nextEvents, PING, STREAM_HEADERS } from './sse-frames.js';

/**
 * One distinct-mode event stream, written straight to Node's response.
 * Results written before the response's headers are out (the first event is
 * ready before Yoga builds the response) wait in order until then.
 */
class EventStream implements ResultSink, KeepAliveTarget {
  #pending: Buffer[] | null = [];
  #pendingBytes = 0;
  /** Set while an operation holds the stream beyond its iterator (see {@link ResultSink.hold}); resolves when it ends it. */
  #held: Promise<void> | null = null;
  /** Ends the held stream (see {@link ResultSink.end}); null when not held, or ended. */
  #release: ((final?: string) => void) | null = null;

  constructor(private readonly res: ServerResponse) {}

  hold(holder: SinkHolder): void {
    let release!: () => void;
    this.#held = new Promise<void>((resolve) => (release = resolve));
    const closed = (): void => {
      release();
      holder.connectionClosed();
    };
    this.res.once('close', closed);
    this.#release = (final) => {
      this.res.off('close', closed);
      if (final !== undefined) this.write(new ResultBatch([final]));
      release();
    };
  }

  end(final?: string): void {
    const release = this.#release;
    this.#release = null;
    release?.(final);
  }

  /** Resolves when the operation that holds the stream ends it (at once if none does). */
  get released(): Promise<void> {
    return this.#held ?? Promise.resolve();
  }

  write(batch: ResultBatch): void {
    this.#write(batch.framed(DISTINCT_FRAMING, nextEvents));
  }

  get bufferedBytes(): number {
    return this.open ? this.res.writableLength + this.#pendingBytes : 0;
  }

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  /** Called once the headers are out: what waited goes first, in order. */
  attach(): void {
    const pending = this.#pending ?? [];
    this.#pending = null;
    this.#pendingBytes = 0;
    if (pending.length > 0) this.#write(Buffer.concat(pending));
  }

  ping(): void {
    // A reader that is behind has bytes to read already; a ping would only add to them.
    if (this.#pending === null && this.open && !this.res.writableNeedDrain) this.res.write(PING);
  }

  #write(frame: Buffer): void {
    if (!this.open) return;
    if (this.#pending === null) {
      this.res.write(frame);
      return;
    }
    this.#pending.push(frame);
    this.#pendingBytes += frame.length;
  }
}

/** Options of {@link createDistinctSse}. */
export interface DistinctSseOptions {
  /** Time between keep-alive comments on an idle stream (`SSE_KEEPALIVE_MS`). */
  readonly keepAliveMs: number;
}

/** The distinct-mode stream writer: a sink per request and the Yoga plugin that serves it. */
export interface DistinctSse {
  /** The sink of a distinct-mode request: put in its context before it executes. */
  sinkFor(request: Request, res: ServerResponse): ResultSink;
  readonly plugin: Plugin;
}

/**
 * graphql-sse distinct connections mode (`Accept: text/event-stream` on
 * `/graphql`) for subscriptions, with results written straight to the
 * socket. Yoga still parses, validates, authorises, executes the
 * subscription and sends the response head (with its CORS and our headers);
 * only the body differs from Yoga's own processor: instead of each result
 * passing through a web stream and an encoder per subscriber, a fan-out
 * group's shared bytes are written to Node's response at once. The response
 * body itself only carries the first keep-alive and the final `complete`,
 * so the end of the stream still goes through Yoga and the server adapter.
 */
export function createDistinctSse({ keepAliveMs }: DistinctSseOptions): DistinctSse {
  const streams = new WeakMap<Request, EventStream>();
  const keepAlive = new KeepAlive(keepAliveMs);
  return {
    sinkFor(request, res) {
      const stream = new EventStream(res);
      streams.set(request, stream);
      return stream;
    },
    plugin: {
      onResultProcess({ request, result, setResultProcessor }) {
        const stream = streams.get(request);
        // Single results (a query sent as an event stream, a refused subscription) keep Yoga's own processor.
        if (stream === undefined || !isAsyncIterable(result)) return;
        setResultProcessor((_result, fetchAPI) => new fetchAPI.Response(body(fetchAPI, stream, result, keepAlive), { status: 200, headers: STREAM_HEADERS }), 'text/event-stream');
      },
    },
  };
}

/**
 * The response body: a pull stream (no chunk is asked for before the
 * adapter reads, which it does only after writing the head). The first read
 * attaches the direct writer and gets a keep-alive; the second lasts as long
 * as the subscription. Its operation holds the sink (see
 * `ResultSink.hold`), so the iterator ends at once and every result, a final
 * failure included, comes through the sink; the stream ends with `complete`
 * once the operation lets go of it.
 */
function body(
  fetchAPI: { ReadableStream: typeof ReadableStream },
  stream: EventStream,
  results: AsyncIterable<ExecutionResult>,
  keepAlive: KeepAlive,
): ReadableStream<Uint8Array> {
  // Let go of once done: a held stream outlives its operation, which must not stay in memory with it.
  let iterator: AsyncIterator<ExecutionResult> | null = results[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let attached = false;
  let stopPings = (): void => {};
  return new fetchAPI.ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!attached) {
          attached = true;
          stream.attach();
          stopPings = keepAlive.add(stream);
          controller.enqueue(encoder.encode(PING));
          return;
        }
        try {
          while (iterator !== null) {
            const { value, done } = await iterator.next();
            if (value !== undefined && value !== null) stream.write(new ResultBatch([serializeResult(value)]));
            if (done) iterator = null;
          }
          // A held stream outlives its iterator; only what holds it ends it.
          await stream.released;
          if (stream.open) controller.enqueue(encoder.encode(COMPLETE));
          controller.close();
        } catch (error) {
          controller.error(error);
        } finally {
          stopPings();
        }
      },
      async cancel() {
        stopPings();
        await iterator?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
