import type { GraphQLResolveInfo } from 'graphql';
import { requireRole, type Viewer } from '../auth/authenticator.js';
import type { PulseContext } from './context.js';
import type { ActivityFilter } from '../domain/activity.js';
import type { StreamItem } from '../domain/events.js';
import type { GroupSpec } from '../live/fanout/fanout-hub.js';
import { groupSpecOf } from '../live/fanout/group-spec.js';
import type { SubscriptionResolvers } from './generated/resolvers.js';
import { openActivityStream } from '../live/activity-stream.js';
import { callBackend } from './backend.js';
import { checkedFilter, pageSize } from './bounds.js';

/**
 * The fan-out group of a subscription, the same whatever transport it came
 * by. Its events are executed with the raw variables the transport received
 * (`params`, which Yoga puts in every context) as graphql-js re-coerces
 * them per event.
 */
function groupSpec(context: PulseContext & { params?: { variables?: unknown } }, info: GraphQLResolveInfo, filter: ActivityFilter | null): GroupSpec {
  const viewer = context.viewer as Viewer;
  const variables = context.params?.variables;
  // Transports hand over an object or nothing (Yoga and graphql-ws refuse anything else before execution).
  const rawVariables = isRecord(variables) ? variables : undefined;
  // Shared by every member for as long as the group lives: only what resolvers of events read, nothing of one request.
  const { services, transport } = context;
  const groupContext: PulseContext = { services, transport, viewer, requestId: 'fan-out group', logger: services.logger };
  const { schema, operation } = info;
  return groupSpecOf({ schema, operation, fragments: Object.values(info.fragments), variables: rawVariables, roles: viewer.roles, filter, context: groupContext, logger: services.logger });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Subscription` resolvers. */
export const Subscription: SubscriptionResolvers = {
  activityChanged: {
    // `since` arrives parsed by the Cursor scalar, which refuses a malformed one with BAD_USER_INPUT.
    subscribe: (_parent, { filter, first, since }, context, info) => {
      // Opened already by the transport, and refused: answered here, as if opened now (see `streamRefusal`).
      if (context.streamRefusal) throw context.streamRefusal;
      const { services, viewer, signal, requestId, dropConnection, resultSink, transport } = context;
      const admin = requireRole(viewer, ['admin'], 'activityChanged');
      // Every transport hands one (Yoga-written responses an iterated one, see `root/app.ts`).
      if (resultSink === undefined) throw new Error('activityChanged needs a result sink from its transport');
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
    // Runs only in the fan-out group's execution of each event (deliveries are counted per member write there).
    resolve: (item: StreamItem) => {
      if (item.type === 'StreamFailure') throw item.error;
      return item;
    },
  },
};
