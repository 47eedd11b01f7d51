import type { ExecutionResult } from 'graphql';
import type { Subscription } from './clients.js';

/** An `activityChanged` event as a test reads it: its typename, cursor and whatever fields were selected. */
export type LooseEvent = { __typename: string; cursor: string; [field: string]: unknown };

/**
 * The event carried by one subscription result.
 * @throws when the result carries errors, so a refusal never passes as data
 */
export function eventOf(result: ExecutionResult<Record<string, unknown>>): LooseEvent {
  if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data?.activityChanged as LooseEvent;
}

/**
 * The next event that is not a stats update (those interleave by time, not by cause).
 * @param read - how to turn a result into an event; defaults to {@link eventOf}
 */
export async function nextChange<E extends { __typename: string } = LooseEvent>(
  sub: Subscription,
  read: (result: ExecutionResult<Record<string, unknown>>) => E = eventOf as unknown as (result: ExecutionResult<Record<string, unknown>>) => E,
): Promise<E> {
  for (;;) {
    const event = read(await sub.results.next());
    if (event.__typename !== 'StatsChanged') return event;
  }
}
