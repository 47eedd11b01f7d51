/**
 * Every error code a Pulse client can see in `extensions.code`, with its
 * HTTP status and whether retrying the same request later can succeed.
 * `resumeRetries`, where present, is the one exception: a subscription
 * that is resuming retries the code that many times before it is final.
 *
 * Part of the contract beside the SDL: the server raises only these
 * (`server/errors.ts`), and clients, Pulse's own retry logic included
 * (`client/lib/error-codes.ts`), decide from this table, never from messages.
 * Plain data with no imports, so the browser bundle can take it as it is.
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: true },
  CONFLICT: { status: 409, retryable: false },
  SESSION_USER_MISMATCH: { status: 409, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  // After a failover, the slot may still be held by this very stream's lease on the dead process
  // until it lapses (LEASE_TTL_MS, at most 30 s): backoff 1, 2, 4, 8, 16 s covers that.
  TOO_MANY_SUBSCRIPTIONS: { status: 429, retryable: false, resumeRetries: 5 },
  SLOW_CONSUMER: { status: 503, retryable: true },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true },
} as const satisfies Record<string, { readonly status: number; readonly retryable: boolean; readonly resumeRetries?: number }>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;
