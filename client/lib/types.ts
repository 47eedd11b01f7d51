import type { ERROR_CODES, ErrorCode } from '../../schema/error-codes.js';
import type { ActivityChangedSubscription } from '../generated/graphql.js';

/** One event of the live feed, as typed by codegen from `schema/`. */
export type ActivityEvent = ActivityChangedSubscription['activityChanged'];

/** An event of one kind, e.g. `EventOf<'SessionStarted'>`. */
export type EventOf<Name extends ActivityEvent['__typename']> = Extract<ActivityEvent, { __typename: Name }>;

/** Why the live feed stopped for good until the caller acts: retrying the same request cannot succeed. */
export type FatalCode = {
  [Code in ErrorCode]: (typeof ERROR_CODES)[Code]['retryable'] extends false ? Code : never;
}[ErrorCode];

/**
 * Where the live feed stands. Exactly one at a time; every change is
 * reported to status listeners.
 */
export type ConnectionStatus =
  /** Not monitoring (never started, or `stop()` called). */
  | { readonly kind: 'stopped' }
  /** A connection attempt is under way. */
  | { readonly kind: 'connecting'; readonly attempt: number }
  /** The snapshot arrived; events are flowing. */
  | { readonly kind: 'connected' }
  /** Waiting to try again: `retryAt` is epoch ms (for a countdown), `delayMs` the backoff chosen. */
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly retryAt: number; readonly reason: string }
  /** The page is hidden; the stream is closed and restarts when it is visible again. */
  | { readonly kind: 'paused' }
  /** Refused in a way retrying cannot fix (bad token, missing role, too many subscriptions). */
  | { readonly kind: 'failed'; readonly code: FatalCode; readonly message: string };
