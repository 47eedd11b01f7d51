import type { IpMode as GraphQLIpMode, QueryResolvers } from './generated/resolvers.js';
import type { AddressMasker } from '../privacy/address-masking.js';
import { TOP_PATHS_MAX } from '../live/first-event.js';
import { callBackend } from './backend.js';
import { checkedAfter, checkedFilter, pageSize } from './bounds.js';
import { sessionsWanted } from './sessions-wanted.js';

/** `IP_MODE`'s values as the schema's `IpMode` names them. */
const IP_MODE_NAMES = { full: 'FULL', truncate: 'TRUNCATE', hash: 'HASH', drop: 'DROP' } as const satisfies Record<AddressMasker['mode'], GraphQLIpMode>;

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
  privacy: (_parent, _args, { services }) => ({
    ipMode: IP_MODE_NAMES[services.privacy.addresses.mode],
    historyMaxAgeMs: services.privacy.historyMaxAgeMs,
  }),
};
