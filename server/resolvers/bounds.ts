import { SESSIONS_PER_USER, type ActivityFilter } from '../domain/activity.js';
import { pulseError } from '../core/errors.js';
import { MAX_LENGTH, NOT_WELL_FORMED } from './activity-input.js';

/** Largest page `activeUsers` and snapshots serve. */
export const MAX_PAGE_SIZE = 100;

/**
 * Longest `after` a page cursor can be: base64url (4 characters per 3 bytes)
 * of `"<lastSeen>:<userId>"`, lastSeen at most 16 digits and a user id at most
 * `MAX_LENGTH.userId` UTF-16 units of at most 3 UTF-8 bytes each. Anything
 * longer was not issued by Pulse, and is refused before it is decoded.
 */
export const MAX_PAGE_CURSOR_LENGTH = Math.ceil(((16 + 1 + MAX_LENGTH.userId * 3) * 4) / 3);

function refuse(field: string, message: string): never {
  throw pulseError('BAD_USER_INPUT', message, { field });
}

/** Checks a page size argument. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) refuse(field, `${field} must be between 1 and ${MAX_PAGE_SIZE}`);
  return size;
}

/** Checks `ActiveUser.sessions(first:)`: 1 to `SESSIONS_PER_USER.max`, null for the default. */
export function sessionsPageSize(first: number | null | undefined): number {
  const size = first ?? SESSIONS_PER_USER.default;
  if (!Number.isInteger(size) || size < 1 || size > SESSIONS_PER_USER.max) {
    refuse('first', `sessions(first:) must be between 1 and ${SESSIONS_PER_USER.max}`);
  }
  return size;
}

/** Checks `activeUsers(after:)` before it is decoded; an empty one means no cursor. */
export function checkedAfter(after: string | null | undefined): string | null {
  if (!after) return null;
  if (after.length > MAX_PAGE_CURSOR_LENGTH) refuse('after', `after is longer than ${MAX_PAGE_CURSOR_LENGTH} characters: not a cursor Pulse issued`);
  return after;
}

/** Checks a filter's strings against the same limits as recorded values. */
export function checkedFilter(filter: ActivityFilter | null | undefined): ActivityFilter | null {
  if (!filter) return null;
  const limits = { userId: MAX_LENGTH.userId, pathPrefix: MAX_LENGTH.path };
  for (const name of ['userId', 'pathPrefix'] as const) {
    const value = filter[name];
    if (!value) continue;
    if (value.length > limits[name]) refuse(`filter.${name}`, `filter.${name} is longer than ${limits[name]} characters`);
    if (!value.isWellFormed()) refuse(`filter.${name}`, `filter.${name} ${NOT_WELL_FORMED}`);
  }
  return { userId: filter.userId || null, pathPrefix: filter.pathPrefix || null };
}
