import { MINUTE_HISTORY_LENGTH, type StatsRecord } from '../domain/activity.js';
import { pulseError } from '../core/errors.js';
import type { MinuteCount, Resolvers } from './generated/resolvers.js';
import { TOP_PATHS_MAX } from '../live/first-event.js';
import { sessionsPageSize } from './bounds.js';
import { CursorScalar, DateTimeScalar } from './scalars.js';

const MINUTE_MS = 60_000;

/** Resolvers of object types whose stored shape differs from the schema's. */
export const typeResolvers: Resolvers = {
  Cursor: CursorScalar,
  DateTime: DateTimeScalar,
  ActivityEvent: { __resolveType: (event) => event.type },
  Stats: {
    topPaths: (stats, { limit }) => {
      const count = limit ?? 10;
      if (!Number.isInteger(count) || count < 0 || count > TOP_PATHS_MAX) {
        throw pulseError('BAD_USER_INPUT', `topPaths limit must be between 0 and ${TOP_PATHS_MAX}`, { field: 'limit' });
      }
      return stats.topPaths.slice(0, count);
    },
    eventsPerMinute: (stats, { minutes }) => minuteCounts(stats).slice(-historyLength(minutes)),
  },
  // The store loaded at least as many as any `first` in the operation (sessions-wanted.ts), most recent first.
  ActiveUser: { sessions: (user, { first }) => user.sessions.slice(0, sessionsPageSize(first)) },
  ActiveUserConnection: {
    edges: (page) => page.edges,
    pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  },
  Snapshot: { activeUsers: (snapshot) => snapshot.page },
};

/** The `minutes` argument, checked: GraphQL only knows it is an Int. */
function historyLength(minutes: number | null | undefined): number {
  const count = minutes ?? MINUTE_HISTORY_LENGTH;
  if (!Number.isInteger(count) || count < 1 || count > MINUTE_HISTORY_LENGTH) {
    throw pulseError('BAD_USER_INPUT', `eventsPerMinute minutes must be between 1 and ${MINUTE_HISTORY_LENGTH}`, { field: 'minutes' });
  }
  return count;
}

/** The stored counts with the start of their minute: the last one is the minute of `at`, each earlier one a minute before. */
function minuteCounts({ eventsPerMinute, at }: StatsRecord): MinuteCount[] {
  const current = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  const last = eventsPerMinute.length - 1;
  return eventsPerMinute.map((events, i) => ({ minute: current - (last - i) * MINUTE_MS, events }));
}
