import type { ActivityChange, ActivityFilter } from '../domain/activity.js';

function pathMatches(path: string | null, prefix: string): boolean {
  return path !== null && path.startsWith(prefix);
}

/**
 * Whether a subscriber with `filter` should see `change`. A session that
 * moves off the filtered paths still sends the `SessionUpdated` that moves
 * it (its `previousPath` matched), so the subscriber can drop it. An
 * erasure's events carry no path, so a path filter cannot tell whether its
 * subscriber holds the session: they pass every path filter (ids only).
 */
export function changeMatches(change: ActivityChange, filter: ActivityFilter | null | undefined): boolean {
  if (!filter) return true;
  const { userId, pathPrefix } = filter;
  if (change.type === 'UserJoined' || change.type === 'UserLeft') {
    return (!userId || change.user.id === userId) && (!pathPrefix || change.type === 'UserLeft' && change.erased === true || pathMatches(change.path, pathPrefix));
  }
  if (userId && change.session.userId !== userId) return false;
  if (!pathPrefix || (change.type === 'SessionEnded' && change.reason === 'ERASED')) return true;
  return (
    pathMatches(change.session.path, pathPrefix) ||
    (change.type === 'SessionUpdated' && pathMatches(change.previousPath, pathPrefix))
  );
}
