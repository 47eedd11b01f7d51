import { GraphQLError } from 'graphql';
import type { PulseContext } from './context.js';
import { InvalidCursorError, pulseError, SessionUserMismatchError } from '../core/errors.js';
import { countBackendError, type BackendOperation } from '../observability/metrics.js';

/** What each resolver-side backend call does, in the words of its `SERVICE_UNAVAILABLE` message. */
const CALLS = {
  record: 'record activity',
  end_session: 'end the session',
  read_stats: 'read stats',
  read_active_users: 'read active users',
  open_stream: 'open the activity stream',
  erase_user: 'erase the user',
} as const satisfies Partial<Record<BackendOperation, string>>;

/** A backend call a resolver makes; also its `operation` label in `pulse_redis_errors_total`. */
export type BackendCall = keyof typeof CALLS;

/**
 * Runs a store or bus call and turns its failures into client errors: the
 * store's own refusals into their codes, and anything else (Redis down, a
 * publish refused) into `SERVICE_UNAVAILABLE`, logged with its cause under
 * the request's id and counted, so a client learns to retry instead of
 * seeing a masked internal error.
 */
export async function callBackend<T>(context: PulseContext, operation: BackendCall, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toClientError(context, operation, error);
  }
}

function toClientError({ services, logger }: PulseContext, operation: BackendCall, error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof SessionUserMismatchError) {
    // On Redis Cluster each partition applies its part of a batch alone: the client must not send the rest again.
    const what = error.recorded === 0 ? 'nothing was recorded' : `the events at \`indexes\` were not recorded; the other ${error.recorded} were`;
    return pulseError('SESSION_USER_MISMATCH', `A session id was reused for another user; ${what}.`, {
      indexes: error.indexes,
      recorded: error.recorded,
    });
  }
  if (error instanceof InvalidCursorError) return pulseError('BAD_USER_INPUT', '`after` is not a cursor Pulse issued.', { field: 'after' });
  countBackendError(services.metrics, operation);
  logger.error({ err: error, operation }, 'backend call failed');
  return pulseError('SERVICE_UNAVAILABLE', `Pulse could not ${CALLS[operation]} right now; try again shortly.`);
}
