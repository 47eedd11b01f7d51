import type { StreamOperation } from './operation.js';

/** How a stream connecting to a token fared. */
export type ConnectOutcome =
  /** The reservation is now connected by the caller; `queued` are the operations sent before, in order, to run now. */
  | { readonly state: 'connected'; readonly queued: readonly StreamOperation[] }
  /** Another connection (here or in another process) holds it already. */
  | { readonly state: 'taken' }
  /** The owner has `maxStreamsPerOwner` streams connected already; the reservation stays pending. */
  | { readonly state: 'full' }
  /** No reservation of this owner under this token: never made, expired, released, or someone else's. */
  | { readonly state: 'unknown' };

/** Where an operation for a connected stream must go: the process holding it. */
export interface HeldBy {
  readonly state: 'held';
  /** The holder's process id, as it passed it to {@link ReservationRegistry.connect}. */
  readonly holder: string;
}

/** What became of an operation sent to a token. */
export type SubmitOutcome =
  /** Kept with the pending reservation, to run when its stream connects. */
  | { readonly state: 'queued' }
  /** The reservation holds an operation of that id already. */
  | { readonly state: 'duplicate' }
  /** The reservation holds its most operations already. */
  | { readonly state: 'full' }
  | { readonly state: 'unknown' }
  | HeldBy;

/** What became of a request to stop an operation. */
export type CancelOutcome = { readonly state: 'cancelled' } | { readonly state: 'unknown' } | HeldBy;

/**
 * graphql-sse single connection reservations (`PUT /graphql/stream`) and
 * their state: pending (with the operations sent before the stream
 * connected) or connected by one process. Memory (one process) and Redis
 * (every process sharing it) implementations behave the same.
 *
 * Guarantees:
 * - an owner holds at most `maxPerOwner` pending reservations and at most
 *   `maxStreamsPerOwner` connected streams at once, however many processes
 *   reserve and connect concurrently; a stream counts until it is released,
 *   or, in Redis, until its holder stops renewing it (a crashed process);
 * - a pending reservation lives `ttlMs`, then vanishes with its operations;
 * - exactly one connection wins {@link ReservationRegistry.connect}; an operation
 *   is either queued before it (and handed to the winner) or routed to the
 *   winner after, never lost in between;
 * - only the owner (the token's `sub`) can connect, send or cancel: to anyone
 *   else a token is `unknown`, as if it did not exist.
 * Every method rejects when the backend fails (Redis unreachable).
 */
export interface ReservationRegistry {
  /** A fresh random token for `owner`, or null when the owner has `maxPerOwner` pending already. */
  reserve(owner: string): Promise<string | null>;
  /** Connects the pending reservation `token` of `owner`, recording `holder` (a process id) as where its stream lives. */
  connect(token: string, owner: string, holder: string): Promise<ConnectOutcome>;
  /** Queues `operation` on a pending reservation, or says which process holds its stream. */
  submit(token: string, owner: string, operation: StreamOperation): Promise<SubmitOutcome>;
  /** Drops a queued operation, or says which process holds the stream that runs it. Cancelling an unknown id of a known token is `cancelled`. */
  cancel(token: string, owner: string, operationId: string): Promise<CancelOutcome>;
  /** The stream of a token this registry connected has closed: the token is forgotten. Never rejects (a record left behind lapses). */
  release(token: string): Promise<void>;
  /** Pending reservations of `owner`. */
  pendingOf(owner: string): Promise<number>;
  /** Connected streams of `owner`, in every process. */
  connectedOf(owner: string): Promise<number>;
  /** Stops timers; tokens still connected through this registry are released. */
  close(): Promise<void>;
}

/** Settings every registry takes. */
export interface ReservationLimits {
  /** How long a reservation waits for its stream (`SSE_RESERVATION_TTL_MS`). */
  readonly ttlMs: number;
  /** Pending reservations per owner (`MAX_SSE_RESERVATIONS_PER_ADMIN`). */
  readonly maxPerOwner: number;
  /** Connected streams per owner (`MAX_SSE_STREAMS_PER_ADMIN`). */
  readonly maxStreamsPerOwner: number;
  /** Operations one pending reservation keeps for its stream. @defaultValue {@link DEFAULT_MAX_QUEUED} */
  readonly maxQueued?: number;
}

/**
 * Operations a pending reservation keeps: the official client sends none
 * before its stream is up, so this only bounds what a hostile one can park
 * (each up to `MAX_REQUEST_BODY_BYTES`) for `SSE_RESERVATION_TTL_MS`.
 */
export const DEFAULT_MAX_QUEUED = 16;
