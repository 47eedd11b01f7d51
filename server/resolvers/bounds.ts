import type { ActivityFilter } from '../domain/activity.js';
import { pulseError } from '../errors.js';
import { MAX_LENGTH, NOT_WELL_FORMED } from './activity-input.js';

/** Largest page `activeUsers` and snapshots serve. */
export const MAX_PAGE_SIZE = 100;

/** Checks a page size argument. */
export function pageSize(first: number | null | undefined, field = 'first'): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw pulseError('BAD_USER_INPUT', `${field} must be between 1 and ${MAX_PAGE_SIZE}`, { field });
  }
  return size;
}

/** Checks a filter's strings against the same limits as recorded values. */
export function checkedFilter(filter: ActivityFilter | null | undefined): ActivityFilter | null {
  if (!filter) return null;
  if ((filter.userId?.length ?? 0) > MAX_LENGTH.userId) {
    throw pulseError('BAD_USER_INPUT', `filter.userId is longer than ${MAX_LENGTH.userId} characters`, { field: 'filter.userId' });
  }
  if ((filter.pathPrefix?.length ?? 0) > MAX_LENGTH.path) {
    throw pulseError('BAD_USER_INPUT', `filter.pathPrefix is longer than ${MAX_LENGTH.path} characters`, { field: 'filter.pathPrefix' });
  }
  for (const [name, value] of [['userId', filter.userId], ['pathPrefix', filter.pathPrefix]] as const) {
    if (value && !value.isWellFormed()) throw pulseError('BAD_USER_INPUT', `filter.${name} ${NOT_WELL_FORMED}`, { field: `filter.${name}` });
  }
  return { userId: filter.userId || null, pathPrefix: filter.pathPrefix || null };
}
