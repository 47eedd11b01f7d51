import type { ActivityChange } from '../../domain/activity.js';
import type { SubscriptionEvent } from '../../domain/events.js';

/** Estimates already made: one change is fanned out to every subscriber, so it is measured once. */
const estimates = new WeakMap<object, number>();

/**
 * The estimated size of an event on the wire, in bytes: the length of its
 * JSON. That is what the transports send, give or take the GraphQL
 * envelope, the selection (a subscriber that selects few fields is
 * overestimated, which errs on the safe side) and non-ASCII characters
 * (counted once each). Cached per event object, so a change delivered to N
 * subscribers is serialized once, not N times.
 */
export function estimateBytes(event: SubscriptionEvent | ActivityChange): number {
  const known = estimates.get(event);
  if (known !== undefined) return known;
  const bytes = JSON.stringify(event).length;
  estimates.set(event, bytes);
  return bytes;
}
