/**
 * Why Pulse drops a subscriber's connection instead of ending its stream
 * with `complete`, which clients take as final:
 * - `slow_consumer`: its queue overflowed (`SUBSCRIBER_BUFFER_BYTES`);
 * - `shutdown`: the process is stopping (SIGTERM);
 * - `backend_lost`: the connection to Redis dropped, so changes may be missed.
 * In every case the client reconnects and resumes from its last cursor.
 */
export type DropReason = 'slow_consumer' | 'shutdown' | 'backend_lost';

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
 * them at once.
 */
export class OpenStreams {
  readonly #drops = new Set<(reason: DropReason) => void>();

  /** Registers a stream; the returned function unregisters it (idempotent). */
  add(drop: (reason: DropReason) => void): () => void {
    // Wrapped so that one function registered twice counts twice.
    const entry = (reason: DropReason): void => drop(reason);
    this.#drops.add(entry);
    return () => {
      this.#drops.delete(entry);
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
