import { pulseError } from '../errors.js';
import type { Resolvers } from '../generated/resolvers.js';
import { TOP_PATHS_MAX } from '../streams/activity-stream.js';
import { CursorScalar, DateTimeScalar } from './scalars.js';

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
  },
  ActiveUserConnection: {
    edges: (page) => page.edges,
    pageInfo: (page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
  },
  Snapshot: { activeUsers: (snapshot) => snapshot.page },
};
