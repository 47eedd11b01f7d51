import type { ActivityChange, ActivityFilter } from '../domain/activity.js';

function pathMatches(path: string | null, prefix: string): boolean {
  return path !== null && path.startsWith(prefix);
}

/**
 * Whether a subscriber with `filter` should see `change`. A session that
 * moves off the filtered paths still sends the `SessionUpdated` that moves
 * it (its `previousPath` matched), so the subscriber can drop it.
 */
export function changeMatches(change: ActivityChange, filter: ActivityFilter | null | undefined): boolean {
  if (!filter) return true;
  const { userId, pathPrefix } = filter;
  if (change.type === 'UserJoined' || change.type === 'UserLeft') {
    return (!userId || change.user.id === userId) && (!pathPrefix || pathMatches(change.path, pathPrefix));
  }
  if (userId && change.session.userId !== userId) return false;
  if (!pathPrefix) return true;
  return (
    pathMatches(change.session.path, pathPrefix) ||
    (change.type === 'SessionUpdated' && pathMatches(change.previousPath, pathPrefix))
  );
}
