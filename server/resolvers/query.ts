import type { QueryResolvers } from './generated/resolvers.js';
import { TOP_PATHS_MAX } from '../live/activity-stream.js';
import { callBackend } from './backend.js';
import { checkedAfter, checkedFilter, pageSize } from './bounds.js';
import { sessionsWanted } from './sessions-wanted.js';

/** `Query` resolvers; roles are checked per operation by the auth plugin. */
export const Query: QueryResolvers = {
  stats: (_parent, _args, context) => {
    const { store, clock } = context.services;
    return callBackend(context, 'read_stats', () => store.stats(clock.now(), TOP_PATHS_MAX));
  },
  activeUsers: (_parent, { first, after, filter }, context, info) => {
    const query = { first: pageSize(first), after: checkedAfter(after), filter: checkedFilter(filter), sessionsPerUser: sessionsWanted(info) };
    return callBackend(context, 'read_active_users', () => context.services.store.activeUsers(query));
  },
};
