import { Deadlines, type DeadlineHandle, type Expiring } from './deadlines.js';

/**
 * Why Pulse drops a subscriber's connection instead of ending its stream
 * with `complete`, which clients take as final:
 * - `slow_consumer`: its queue overflowed (`SUBSCRIBER_BUFFER_BYTES`), or
 *   its connection passed `SUBSCRIBER_BUFFER_BYTES` of unread output or
 *   `MAX_OPERATIONS_PER_CONNECTION` operations;
 * - `shutdown`: the process is stopping (SIGTERM);
 * - `backend_lost`: the connection to Redis dropped, so changes may be missed;
 * - `token_expired`: the token that opened it is no longer accepted (its
 *   `exp` plus `CLOCK_SKEW_MS`).
 * In every case the client reconnects (with a fresh token) and resumes from its last cursor.
 */
export type DropReason = 'slow_consumer' | 'shutdown' | 'backend_lost' | 'token_expired';

/**
 * The capability each transport puts in the GraphQL context: drop the
 * connection an operation streams over, abruptly and without `complete`.
 * Returns false when there is no connection to drop (a transport without
 * one, or a single-connection stream not connected yet); the caller then
 * ends the stream with an error result instead.
 */
export type DropConnection = (reason: DropReason) => boolean;

/**
 * An open stream as {@link OpenStreams} keeps it: what drops it, and what
 * its token's deadline calls (which drops it with `token_expired`).
 */
export interface DroppableStream extends Expiring {
  drop(reason: DropReason): void;
}

/**
 * The `activityChanged` streams open in this process, each with the way to
 * drop it, so that a process-wide event (Redis lost, shutdown) reaches all of
 * them at once, and each is dropped when its viewer's token expires (one
 * timer for all of them).
 */
export class OpenStreams {
  /** Each stream, with its token's deadline if it has one. */
  readonly #streams = new Map<DroppableStream, DeadlineHandle | null>();

  constructor(private readonly deadlines = new Deadlines()) {}

  /**
   * Registers a stream, dropped with `token_expired` at `acceptedUntil`
   * (epoch ms) when given, until {@link OpenStreams.delete}. A stream
   * registered twice counts once.
   */
  register(stream: DroppableStream, acceptedUntil?: number): void {
    if (this.#streams.has(stream)) return;
    this.#streams.set(stream, acceptedUntil === undefined ? null : this.deadlines.schedule(acceptedUntil, stream));
  }

  /** Unregisters a stream (idempotent). */
  delete(stream: DroppableStream): void {
    const deadline = this.#streams.get(stream);
    if (deadline === undefined) return;
    this.#streams.delete(stream);
    if (deadline !== null) this.deadlines.cancel(deadline);
  }

  /**
   * Registers a drop function (see {@link OpenStreams.register}); the
   * returned function unregisters it (idempotent). One function registered
   * twice counts twice.
   */
  add(drop: (reason: DropReason) => void, acceptedUntil?: number): () => void {
    const stream: DroppableStream = { drop, expire: () => drop('token_expired') };
    this.register(stream, acceptedUntil);
    return () => this.delete(stream);
  }

  /** Drops every open stream; each is unregistered by its own cleanup. */
  dropAll(reason: DropReason): number {
    const streams = [...this.#streams.keys()];
    for (const stream of streams) stream.drop(reason);
    return streams.length;
  }

  /** Open streams in this process. */
  get count(): number {
    return this.#streams.size;
  }
}
