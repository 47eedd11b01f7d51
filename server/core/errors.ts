import { GraphQLError, type ASTNode } from 'graphql';
import { ERROR_CODES, type ErrorCode } from '../../schema/error-codes.js';

export { ERROR_CODES, type ErrorCode };

/**
 * The one factory for errors meant for clients: a GraphQL error carrying its
 * `extensions.code` and the HTTP status Yoga should answer with. Errors not
 * made here are masked as internal errors.
 */
export function pulseError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}, nodes?: readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    extensions: { ...extensions, code, http: { status: ERROR_CODES[code].status } },
  });
}

/**
 * Thrown by stores when a batch names a session owned by another user.
 * Nothing was written, except on a partitioned store: there each partition
 * applies its part of a batch on its own, and `recorded` says how many
 * events other partitions took.
 */
export class SessionUserMismatchError extends Error {
  /**
   * @param indexes - positions in the batch of the refused events
   * @param recorded - events of the batch that were recorded all the same (other partitions' parts) @defaultValue 0
   */
  constructor(
    readonly indexes: readonly number[],
    readonly recorded = 0,
  ) {
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
