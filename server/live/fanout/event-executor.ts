import { execute, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { isPromise, maskError } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { StreamItem } from '../../domain/events.js';
import { serializeResult } from './serialize-result.js';

/** Executes a subscription's selection set on one event and returns the result's JSON text. */
export type EventExecutor = (item: StreamItem) => string;

/** The message of a masked internal error: Yoga's default, so both paths agree. */
const MASKED_MESSAGE = 'Unexpected error.';

/** What graphql-js would execute for each event of one subscription. */
export interface SubscriptionPlan {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  /** The variables as the client sent them (execution coerces them again, as `subscribe` does per event). */
  readonly variableValues: Readonly<Record<string, unknown>> | undefined;
  readonly contextValue: unknown;
}

/**
 * Executes events exactly as graphql-js's `subscribe` maps each source
 * event (`execute` with the event as root value), then masks unexpected
 * errors as Yoga does and serialises. Executed once per fan-out group, the
 * JSON is shared by every member.
 *
 * Event types resolve synchronously (they are plain data), and fan-out
 * relies on it: every member must get its events in cursor order, with no
 * await between a change's arrival and its writes.
 */
export function createEventExecutor(plan: SubscriptionPlan, logger: Logger): EventExecutor {
  return (item) => {
    const result = execute({ ...plan, rootValue: item });
    if (isPromise(result)) throw new Error('an activityChanged event type resolved asynchronously; fan-out executes events synchronously');
    if (!result.errors?.length) return serializeResult(result);
    return serializeResult({ ...result, errors: result.errors.map((error) => masked(error, logger)) });
  };
}

function masked(error: GraphQLError, logger: Logger): GraphQLError {
  const safe = maskError(error, MASKED_MESSAGE, false) as GraphQLError;
  if (safe !== error) logger.error({ err: error.originalError ?? error }, 'activityChanged event failed');
  return safe;
}
