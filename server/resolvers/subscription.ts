import { requireRole } from '../auth.js';
import type { PulseContext } from '../context.js';
import type { StreamItem } from '../domain/events.js';
import type { SubscriptionResolvers } from '../generated/resolvers.js';
import { observeDelivery } from '../metrics.js';
import { openActivityStream } from '../streams/activity-stream.js';
import { callBackend } from './backend.js';
import { checkedFilter, pageSize } from './bounds.js';

/** `Subscription` resolvers. */
export const Subscription: SubscriptionResolvers = {
  activityChanged: {
    // `since` arrives parsed by the Cursor scalar, which refuses a malformed one with BAD_USER_INPUT.
    subscribe: (_parent, { filter, first, since }, context) => {
      const { services, viewer, signal, logger, dropConnection } = context;
      const admin = requireRole(viewer, ['admin'], 'activityChanged');
      const request = { viewer: admin, filter: checkedFilter(filter), first: pageSize(first), since: since ?? null, signal, logger, dropConnection };
      return callBackend(context, 'open_stream', () => openActivityStream(services, request));
    },
    // Runs as the transport takes each item, so the lag it measures includes time spent in the subscriber's queue.
    resolve: (item: StreamItem, _args: unknown, { services }: PulseContext) => {
      if (item.type === 'StreamFailure') throw item.error;
      if (item.type !== 'Snapshot' && item.type !== 'Resumed' && item.type !== 'StatsChanged') observeDelivery(services.metrics, item.at, services.clock.now());
      return item;
    },
  },
};
