import { GraphQLError } from 'graphql';

/**
 * Every error code a client can see, with its HTTP status and whether
 * retrying the same request later can succeed. Clients (and the retry logic
 * of Pulse's own client) decide from this table, never from messages.
 */
export const ErrorCodes = {
  BAD_USER_INPUT: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  SESSION_USER_MISMATCH: { status: 409, retryable: false },
  TOO_MANY_SUBSCRIPTIONS: { status: 429, retryable: false },
  SLOW_CONSUMER: { status: 503, retryable: true },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

/** A code from {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * The one factory for errors meant for clients: a GraphQL error carrying its
 * `extensions.code` and the HTTP status Yoga should answer with. Errors not
 * made here are masked as internal errors.
 */
export function pulseError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { ...extensions, code, http: { status: ErrorCodes[code].status } },
  });
}

/** Thrown by stores when a batch names a session owned by another user; nothing was written. */
export class SessionUserMismatchError extends Error {
  /** @param indexes - positions in the batch of the offending events */
  constructor(readonly indexes: readonly number[]) {
    super(`session belongs to another user (batch index ${indexes.join(', ')})`);
    this.name = 'SessionUserMismatchError';
  }
}

/** Thrown by stores for an `after` cursor they did not issue. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`invalid cursor: ${cursor}`);
    this.name = 'InvalidCursorError';
  }
}
