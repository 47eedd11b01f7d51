import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ResultBatch, type ResultSink, type SinkHolder } from '../../live/fanout/result-sink.js';
import type { KeepAlive, KeepAliveTarget } from '../keep-alive.js';
import { COMPLETE, DISTINCT_FRAMING, nextEvents, PING } from '../sse-frames.js';

/** The stream of each response that has one, for the one `close` listener they all share. */
const streams = new WeakMap<ServerResponse, DirectEventStream>();

/** Every stream's `close` listener: one function, not a closure per stream. */
function onResponseClose(this: ServerResponse): void {
  streams.get(this)?.closed();
}

/**
 * A distinct-mode event stream that Pulse answers itself, on Node's
 * response: the connection is the stream, and this object (with the
 * response) is all a subscriber's connection holds beyond its fan-out
 * member. What is written before the response starts (the first event,
 * written while the subscription opens) waits, in order, until
 * {@link DirectEventStream.start}; nothing is written at all when the
 * subscription is refused, so that Yoga can answer the request instead.
 */
export class DirectEventStream implements ResultSink, KeepAliveTarget {
  /** Frames written before the response started; null once it has. */
  #pending: Buffer[] | null = [];
  #holder: SinkHolder | null = null;
  /** Set by the end of the operation that holds the stream, before the response started: what it then writes. */
  #endedEarly: { final: string | undefined } | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly keepAlive: KeepAlive,
  ) {}

  /** Drops the connection abruptly (no `complete`): the client reconnects and resumes. */
  dropConnection(): boolean {
    if (this.res.destroyed) return false;
    this.res.destroy();
    return true;
  }

  write(batch: ResultBatch): void {
    if (!this.open) return;
    const frame = batch.framed(DISTINCT_FRAMING, nextEvents);
    if (this.#pending === null) this.res.write(frame);
    else this.#pending.push(frame);
  }

  get bufferedBytes(): number {
    if (!this.open) return 0;
    let pending = 0;
    for (const frame of this.#pending ?? []) pending += frame.length;
    return this.res.writableLength + pending;
  }

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  hold(holder: SinkHolder): void {
    this.#holder = holder;
    streams.set(this.res, this);
    // 'close' comes once; `on` spares the wrapper `once` would allocate per stream.
    this.res.on('close', onResponseClose);
  }

  /**
   * Writes the response head with `headers`, then what waited, and starts
   * the keep-alives; if the operation ended meanwhile, its last word and
   * `complete` follow at once. Nothing is written to a closed connection.
   */
  start(headers: OutgoingHttpHeaders): void {
    const pending = this.#pending ?? [];
    this.#pending = null;
    if (!this.open) return;
    const { res } = this;
    res.writeHead(200, headers);
    // One packet for the head and the first event (a ping if none is there), and a flat head: flushed on
    // its own, Node hands the socket the head string itself, which writing flattens; written with the first
    // chunk instead, Node would keep the rope of concatenations it built (about 1 KB) for the response's life.
    res.socket?.cork();
    res.flushHeaders();
    res.write(pending.length === 0 ? PING : pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
    res.socket?.uncork();
    if (this.#endedEarly !== null) return this.#finish(this.#endedEarly.final);
    this.keepAlive.add(this);
  }

  ping(): void {
    // A reader that is behind has bytes to read already; a ping would only add to them.
    if (this.open && !this.res.writableNeedDrain) this.res.write(PING);
  }

  /** The connection closed (the client left, or it was dropped): the operation that holds the stream ends it. */
  closed(): void {
    this.keepAlive.delete(this);
    const holder = this.#holder;
    this.#holder = null;
    holder?.connectionClosed();
  }

  /** The end of the operation that holds the stream: its last result, if any, then `complete`. */
  end(final?: string): void {
    this.res.off('close', onResponseClose);
    streams.delete(this.res);
    this.#holder = null;
    if (this.#pending !== null) {
      // Not started: a refusal (Yoga answers it), or an end while opening (written once started).
      this.#endedEarly = { final };
      return;
    }
    this.#finish(final);
  }

  #finish(final: string | undefined): void {
    this.keepAlive.delete(this);
    if (!this.open) return;
    const last = final === undefined ? COMPLETE : Buffer.concat([new ResultBatch([final]).framed(DISTINCT_FRAMING, nextEvents), Buffer.from(COMPLETE)]);
    this.res.end(last);
  }
}
