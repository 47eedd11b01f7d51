import { GraphQLError } from 'graphql';
import type { PulseServices } from '../context.js';
import { InvalidCursorError, pulseError, SessionUserMismatchError } from '../errors.js';

/**
 * Runs a store or bus call and turns its failures into client errors: the
 * store's own refusals into their codes, and anything else (Redis down, a
 * publish refused) into `SERVICE_UNAVAILABLE`, logged with its cause, so a
 * client learns to retry instead of seeing a masked internal error.
 */
export async function callBackend<T>(services: PulseServices, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toClientError(services, what, error);
  }
}

function toClientError(services: PulseServices, what: string, error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof SessionUserMismatchError) {
    return pulseError('SESSION_USER_MISMATCH', 'A session id was reused for another user; nothing was recorded.', {
      indexes: error.indexes,
    });
  }
  if (error instanceof InvalidCursorError) return pulseError('BAD_USER_INPUT', '`after` is not a cursor Pulse issued.', { field: 'after' });
  services.logger.error({ err: error, what }, 'backend call failed');
  return pulseError('SERVICE_UNAVAILABLE', `Pulse could not ${what} right now; try again shortly.`);
}
