import { requireRole } from '../auth.js';
import type { StreamItem } from '../domain/events.js';
import type { SubscriptionResolvers } from '../generated/resolvers.js';
import { openActivityStream } from '../streams/activity-stream.js';
import { callBackend } from './backend.js';
import { checkedFilter, pageSize } from './bounds.js';

/** `Subscription` resolvers. */
export const Subscription: SubscriptionResolvers = {
  activityChanged: {
    subscribe: (_parent, { filter, first }, { services, viewer, signal }) => {
      const admin = requireRole(viewer, ['admin'], 'activityChanged');
      const request = { viewer: admin, filter: checkedFilter(filter), first: pageSize(first), signal };
      return callBackend(services, 'open the activity stream', () => openActivityStream(services, request));
    },
    resolve: (item: StreamItem) => {
      if (item.type === 'StreamFailure') throw item.error;
      return item;
    },
  },
};
