import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.js';

/**
 * How a single-connection request (other than a stream that connected) is
 * answered, as plain data: the process holding a stream sends it back to the
 * process that forwarded an operation, which turns it into the response.
 */
export interface StreamAnswer {
  readonly status: number;
  /** For an error status: what went wrong, for people. */
  readonly message?: string;
  /** For an error status: its Pulse code (`extensions.code`). */
  readonly code?: ErrorCode;
}

/** The answers of the protocol, written once. */
export const ANSWERS = {
  accepted: { status: 202 },
  ok: { status: 200 },
  streamNotFound: { status: 404, code: 'NOT_FOUND', message: 'Stream not found: it was never reserved, expired or closed, or is not yours.' },
  notPending: { status: 404, code: 'NOT_FOUND', message: 'No pending reservation for this token: it expired, was never made, or is not yours.' },
  streamOpen: { status: 409, code: 'CONFLICT', message: 'Stream already open: this token is connected already.' },
  duplicateOperation: { status: 409, code: 'CONFLICT', message: 'Operation with ID already exists.' },
  holderGone: { status: 404, code: 'NOT_FOUND', message: 'Stream not found: the process that held it is gone; reconnect.' },
  backendDown: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Redis is unavailable, so the stream could not be reached; retry shortly.' },
  holderSilent: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The process holding this stream did not answer in time; retry shortly.' },
  shuttingDown: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'This Pulse process is shutting down; reconnect.' },
  tooManyQueued: { status: 429, code: 'TOO_MANY_SUBSCRIPTIONS', message: 'Too many operations wait for this stream to connect; connect it first.' },
  tooManyStreams: {
    status: 429,
    code: 'TOO_MANY_SUBSCRIPTIONS',
    message: 'Too many streams are connected for this admin (MAX_SSE_STREAMS_PER_ADMIN); close one first.',
  },
  forbidden: { status: 403, code: 'FORBIDDEN', message: 'Single connection streams need the admin role.' },
  tooManyReservations: {
    status: 429,
    code: 'TOO_MANY_SUBSCRIPTIONS',
    message: 'Too many stream reservations are waiting for their connection; connect or let them expire first.',
  },
  bug: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, StreamAnswer>;

/** A 400 for a request that does not follow the protocol (no token, no operation id, a bad body). */
export function badRequest(message: string): StreamAnswer {
  return { status: 400, code: 'BAD_USER_INPUT', message };
}

/**
 * The one HTTP response for a {@link StreamAnswer}: no body for a success,
 * a GraphQL error body (with `extensions.code` when there is one) otherwise.
 * @param headers - extra headers, e.g. `allow` on a 405
 */
export function answerResponse(answer: StreamAnswer, headers: Record<string, string> = {}): Response {
  const statusText = STATUS_CODES[answer.status] ?? '';
  if (answer.status < 300) return new Response(null, { status: answer.status, statusText, headers });
  const error = { message: answer.message ?? statusText, ...(answer.code ? { extensions: { code: answer.code } } : {}) };
  return new Response(JSON.stringify({ errors: [error] }), {
    status: answer.status,
    statusText,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
  });
}

/** Whether `value` is one of Pulse's error codes (checking a forwarded answer). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
