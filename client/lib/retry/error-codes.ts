import { ERROR_CODES, type ErrorCode } from '../../../schema/error-codes.js';
import type { FatalCode } from '../types.js';

/** Error codes, their HTTP statuses and retryability: the contract table in `schema/error-codes.ts`. */
export { ERROR_CODES };

/** A code from {@link ERROR_CODES}. */
export type PulseErrorCode = ErrorCode;

/** Why a request or a stream failed, as far as the client can tell. */
export interface Failure {
  /** `extensions.code` of the first GraphQL error, when there was one. */
  readonly code: string | null;
  /** The HTTP status, when the failure was an HTTP response. */
  readonly status: number | null;
  /** For people: the server's message, or what went wrong on the way. */
  readonly message: string;
}

/** What to do about a {@link Failure}. */
export type RetryDecision = { readonly retry: true } | { readonly retry: false; readonly code: PulseErrorCode };

/** Whether `code` is one of {@link ERROR_CODES}. */
export function isPulseErrorCode(code: string): code is PulseErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Whether `code` ends the live feed for good: a code the table marks as not retryable (see `FatalCode` in types.ts). */
export function isFatalCode(code: string): code is FatalCode {
  return isPulseErrorCode(code) && !ERROR_CODES[code].retryable;
}

/** Where the failed request stands, for the codes whose retry rule depends on it. */
export interface RetryContext {
  /** The request resumed a subscription after a cursor. */
  readonly resuming: boolean;
  /** Failed attempts before this one since the last success. */
  readonly failures: number;
}

/**
 * The one retry decision, read from the table: a code the server sent
 * decides; without one (a proxy, or a body that was not GraphQL), the HTTP
 * status stands for the code that has it, when exactly one code has it (401,
 * 403, 429...). Everything else (network errors, 5xx, masked internal
 * errors, dropped streams) is worth retrying. A code with `resumeRetries` is
 * retried while resuming as long as no more failures than that preceded it.
 */
export function retryDecision(failure: Failure, context: RetryContext = { resuming: false, failures: 0 }): RetryDecision {
  const code = failure.code !== null && isPulseErrorCode(failure.code) ? failure.code : codeForStatus(failure.status);
  if (code === null || ERROR_CODES[code].retryable) return { retry: true };
  const resumeRetries = resumeRetriesOf(code);
  if (context.resuming && resumeRetries !== null && context.failures <= resumeRetries) return { retry: true };
  return { retry: false, code };
}

function resumeRetriesOf(code: PulseErrorCode): number | null {
  const entry = ERROR_CODES[code];
  return 'resumeRetries' in entry ? entry.resumeRetries : null;
}

function codeForStatus(status: number | null): PulseErrorCode | null {
  const codes = (Object.keys(ERROR_CODES) as PulseErrorCode[]).filter((code) => ERROR_CODES[code].status === status);
  return codes.length === 1 ? (codes[0] ?? null) : null;
}

/** The HTTP status of a response-like value (graphql-sse's and urql's errors carry the response), or null. */
export function statusOf(response: unknown): number | null {
  const status = typeof response === 'object' && response !== null ? (response as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : null;
}

type ErrorLike = { readonly message?: unknown; readonly extensions?: { readonly code?: unknown } };

/** The failure a GraphQL `errors` list describes (its first error speaks for it), or null for no errors. */
export function failureFromErrors(errors: unknown, status: number | null = null): Failure | null {
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const first = (errors[0] ?? {}) as ErrorLike;
  const code = first.extensions?.code;
  return {
    code: typeof code === 'string' ? code : null,
    status,
    message: typeof first.message === 'string' ? first.message : 'GraphQL error',
  };
}

/** The failure an error HTTP response describes, read from its body when that is a GraphQL error body. */
export function failureFromResponseBody(status: number, statusText: string, body: string): Failure {
  const fallback: Failure = { code: null, status, message: `HTTP ${status}${statusText ? ` ${statusText}` : ''}` };
  try {
    return failureFromErrors((JSON.parse(body) as { errors?: unknown } | null)?.errors, status) ?? fallback;
  } catch {
    // Not JSON (a proxy's HTML page): the status is all there is.
    return fallback;
  }
}
