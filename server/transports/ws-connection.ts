import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Viewer } from '../auth/authenticator.js';
import type { ResultBatch, ResultSink } from '../live/fanout/result-sink.js';
import type { Deadlines } from '../live/deadlines.js';
import type { DropReason } from '../live/open-streams.js';
import { OutputGate, startMark, type OutputBounds } from './output-bounds.js';

/**
 * Close codes of a dropped socket, each retried by the official client
 * (1011 would not be: it counts as fatal). 1013 asks a slow reader to come
 * back later; 1012 says this server is restarting or lost its backend;
 * 4403 says the token expired, after which the client asks
 * `connectionParams` again (graphql-ws's own recipe for expiring auth).
 */
export const DROP_CLOSE_CODES: Readonly<Record<DropReason, number>> = {
  slow_consumer: 1013,
  shutdown: 1012,
  backend_lost: 1012,
  token_expired: CloseCode.Forbidden,
};

const CLOSE_REASONS: Readonly<Record<DropReason, string>> = {
  slow_consumer: 'slow_consumer',
  shutdown: 'shutdown',
  backend_lost: 'backend_lost',
  token_expired: 'Forbidden: the token has expired',
};

/**
 * One acknowledged graphql-ws socket: who opened it, until when its token
 * holds, and the bounds on what Pulse queues for it. Its operations start
 * through {@link WsConnection.gate}; everything Pulse sends on its own
 * (results of queries and grouped subscriptions) goes through
 * {@link WsConnection.send}, which measures the socket's unread bytes first.
 */
export class WsConnection {
  /** Operations start here one at a time, each once at most half the byte bound is unread. */
  readonly gate: OutputGate;
  /** Waiting for the socket to take what was sent; woken as each send is flushed, and on close. */
  readonly #wakers = new Set<() => void>();
  readonly #wake = (): void => {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  };

  constructor(
    readonly socket: WebSocket,
    readonly viewer: Viewer,
    private readonly bounds: OutputBounds,
    deadlines: Deadlines,
  ) {
    const mark = startMark(bounds);
    this.gate = new OutputGate(async () => {
      while (this.open && this.bufferedBytes > mark) await new Promise<void>((resolve) => this.#wakers.add(resolve));
    });
    socket.once('close', this.#wake);
    if (viewer.acceptedUntil === undefined) return;
    const cancel = deadlines.add(viewer.acceptedUntil, () => this.drop('token_expired'));
    socket.once('close', cancel);
  }

  /** False once the socket is closing or closed (dropped, or left by the client). */
  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Bytes sent and not yet taken by the peer; none once the socket is gone (its buffers went with it). */
  get bufferedBytes(): number {
    return this.open ? this.socket.bufferedAmount : 0;
  }

  /**
   * Drops the socket: every operation on it ends (siblings reconnect and
   * resume too). A slow reader's socket is terminated at once, since its
   * close frame would wait behind the data it does not read. False when it
   * was closed already.
   */
  drop = (reason: DropReason): boolean => {
    if (!this.open) return false;
    this.socket.close(DROP_CLOSE_CODES[reason], CLOSE_REASONS[reason]);
    if (reason === 'slow_consumer') this.socket.terminate();
    return true;
  };

  /**
   * Checks the operation bound as operation number `running` arrives (those
   * waiting at the gate count): past `MAX_OPERATIONS_PER_CONNECTION`, the
   * socket is dropped as a slow consumer and false returned.
   */
  admits(running: number): boolean {
    if (!this.open) return false;
    if (running <= this.bounds.maxOperations) return true;
    this.#overflow();
    return false;
  }

  /**
   * Sends one message, unless more than `SUBSCRIBER_BUFFER_BYTES` already
   * wait unread: then the socket is dropped as a slow consumer instead.
   */
  send(message: string): void {
    if (!this.open) return;
    if (this.bufferedBytes > this.bounds.maxBufferedBytes) return this.#overflow();
    this.socket.send(message, this.#wake);
  }

  /** Writes operation `id`'s results as graphql-ws `next` messages: a fan-out group's shared JSON in this operation's envelope. */
  sink(id: string): ResultSink {
    return new SocketSink(this, `{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  #overflow(): void {
    if (this.drop('slow_consumer')) this.bounds.onSlowConsumer();
  }
}

/** One operation's view of a socket: its results, each in its own `next` message. */
class SocketSink implements ResultSink {
  constructor(
    private readonly connection: WsConnection,
    private readonly envelope: string,
  ) {}

  write(batch: ResultBatch): void {
    // One WebSocket message per result: graphql-ws has no batch message.
    for (const resultJson of batch.results) this.connection.send(`${this.envelope}${resultJson}}`);
  }

  get bufferedBytes(): number {
    return this.connection.bufferedBytes;
  }

  get open(): boolean {
    return this.connection.open;
  }
}
