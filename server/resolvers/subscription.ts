import type { GraphQLResolveInfo } from 'graphql';
import { requireRole, type Viewer } from '../auth/authenticator.js';
import type { PulseContext } from './context.js';
import type { ActivityFilter } from '../domain/activity.js';
import type { StreamItem } from '../domain/events.js';
import { createEventExecutor, planFromInfo } from '../live/fanout/event-executor.js';
import type { GroupSpec } from '../live/fanout/fanout-hub.js';
import { groupKey } from '../live/fanout/group-key.js';
import type { SubscriptionResolvers } from './generated/resolvers.js';
import { observeDelivery } from '../observability/metrics.js';
import { openActivityStream } from '../live/activity-stream.js';
import { callBackend } from './backend.js';
import { checkedFilter, pageSize } from './bounds.js';

/**
 * The fan-out group of a subscription. Its events are executed with the raw
 * variables the transport received (`params`, which Yoga puts in every
 * context) as graphql-js re-coerces them per event; without them the
 * members execute their own items.
 */
function groupSpec(context: PulseContext & { params?: { variables?: unknown } }, info: GraphQLResolveInfo, filter: ActivityFilter | null): GroupSpec {
  const viewer = context.viewer as Viewer;
  const variables = context.params?.variables;
  const rawVariables = isRecord(variables) ? variables : undefined;
  const key = groupKey(info.operation, rawVariables, viewer.roles);
  if (context.resultSink === undefined || (variables != null && rawVariables === undefined)) return { key: `${key}|items`, filter, execute: null };
  // Shared by every member for as long as the group lives: only what resolvers of events read, nothing of one request.
  const { services, transport } = context;
  const groupContext: PulseContext = { services, transport, viewer, requestId: 'fan-out group', logger: services.logger, groupExecution: true };
  return { key, filter, execute: createEventExecutor(planFromInfo(info, rawVariables, groupContext), services.logger) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Subscription` resolvers. */
export const Subscription: SubscriptionResolvers = {
  activityChanged: {
    // `since` arrives parsed by the Cursor scalar, which refuses a malformed one with BAD_USER_INPUT.
    subscribe: (_parent, { filter, first, since }, context, info) => {
      const { services, viewer, signal, requestId, dropConnection, resultSink, transport } = context;
      const admin = requireRole(viewer, ['admin'], 'activityChanged');
      const checked = checkedFilter(filter);
      const request = {
        viewer: admin,
        filter: checked,
        first: pageSize(first),
        since: since ?? null,
        transport,
        group: groupSpec(context, info, checked),
        sink: resultSink,
        signal,
        requestId,
        dropConnection,
      };
      return callBackend(context, 'open_stream', () => openActivityStream(services, request));
    },
    // Per subscriber, it runs as the transport takes each item, so the lag it measures includes time in the subscriber's queue.
    resolve: (item: StreamItem, _args: unknown, { services, groupExecution }: PulseContext) => {
      if (item.type === 'StreamFailure') throw item.error;
      const isChange = item.type !== 'Snapshot' && item.type !== 'Resumed' && item.type !== 'StatsChanged';
      if (isChange && !groupExecution) observeDelivery(services.metrics, item.at, services.clock.now());
      return item;
    },
  },
};
