import { Deadlines } from './deadlines.js';

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
 * The `activityChanged` streams open in this process, each with the way to
 * drop it, so that a process-wide event (Redis lost, shutdown) reaches all of
 * them at once, and each is dropped when its viewer's token expires (one
 * timer for all of them).
 */
export class OpenStreams {
  readonly #drops = new Set<(reason: DropReason) => void>();

  constructor(private readonly deadlines = new Deadlines()) {}

  /**
   * Registers a stream, dropped with `token_expired` at `acceptedUntil`
   * (epoch ms) when given; the returned function unregisters it (idempotent).
   */
  add(drop: (reason: DropReason) => void, acceptedUntil?: number): () => void {
    // Wrapped so that one function registered twice counts twice.
    const entry = (reason: DropReason): void => drop(reason);
    this.#drops.add(entry);
    const cancelExpiry = acceptedUntil === undefined ? undefined : this.deadlines.add(acceptedUntil, () => entry('token_expired'));
    return () => {
      this.#drops.delete(entry);
      cancelExpiry?.();
    };
  }

  /** Drops every open stream; each is unregistered by its own cleanup. */
  dropAll(reason: DropReason): number {
    const drops = [...this.#drops];
    for (const drop of drops) drop(reason);
    return drops.length;
  }

  /** Open streams in this process. */
  get count(): number {
    return this.#drops.size;
  }
}
