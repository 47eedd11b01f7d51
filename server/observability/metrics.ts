import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES } from '../core/errors.js';

/**
 * How an operation reached Pulse, from its request: `sse-distinct` is
 * `Accept: text/event-stream` on `/graphql`, `sse-single` is
 * `/graphql/stream`, `ws` is the graphql-ws adapter, `http` everything else
 * (queries and mutations; a multipart subscription too).
 */
export const TRANSPORTS = ['http', 'sse-distinct', 'sse-single', 'ws'] as const;

/** One of {@link TRANSPORTS}; the `transport` label of `pulse_subscriptions`. */
export type PulseTransport = (typeof TRANSPORTS)[number];

/**
 * Where a backend failure happened; the `operation` label of
 * `pulse_redis_errors_total`. The first six are resolver calls answered
 * `SERVICE_UNAVAILABLE`; the rest fail in the background.
 */
export const BACKEND_OPERATIONS = [
  'record',
  'end_session',
  'read_stats',
  'read_active_users',
  'open_stream',
  'erase_user',
  'lease_renewal',
  'bus',
  'idle_sweep',
  'stats_feed',
] as const;

/** One of {@link BACKEND_OPERATIONS}. */
export type BackendOperation = (typeof BACKEND_OPERATIONS)[number];

/** From 1 ms (same process, memory) to 10 s (a backlog worth an alert), roughly ×2.5 per step. */
export const DELIVERY_LAG_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metrics of one Pulse instance, each a typed prom-client handle on the
 * instance's own {@link PulseMetrics.registry}, never the global default one,
 * so several servers in one process (the tests) count separately.
 */
export interface PulseMetrics {
  /** Everything below plus the default process metrics, prefixed `pulse_`. */
  readonly registry: Registry;
  /** `pulse_http_connections`: open HTTP connections, WebSocket upgrades included. */
  readonly httpConnections: Gauge;
  /** `pulse_subscriptions{transport}`: open subscriptions. */
  readonly subscriptions: Gauge<'transport'>;
  /** `pulse_subscriptions_opened_total`: subscriptions that started streaming. */
  readonly subscriptionsOpened: Counter;
  /** `pulse_subscriptions_refused_total{code}`: subscriptions answered with an error instead of a stream. */
  readonly subscriptionsRefused: Counter<'code'>;
  /** `pulse_events_published_total`: changes published by this process's store writes. */
  readonly eventsPublished: Counter;
  /** `pulse_events_delivered_total`: changes handed to subscribers' transports by this process. */
  readonly eventsDelivered: Counter;
  /** `pulse_delivery_lag_seconds`: now minus a delivered change's `at`. */
  readonly deliveryLag: Histogram;
  /**
   * `pulse_slow_consumer_disconnects_total`: connections dropped as slow
   * consumers: a subscriber's queue overflowed, or a graphql-ws socket or
   * single-connection stream passed its unread-bytes or operations bound.
   */
  readonly slowConsumerDisconnects: Counter;
  /** `pulse_redis_errors_total{operation}`: backend failures. */
  readonly redisErrors: Counter<'operation'>;
  /** `pulse_limit_refusals_total{limit}`: requests refused by a per-client bound, by its setting (e.g. `MAX_SSE_STREAMS_PER_ADMIN`). */
  readonly limitRefusals: Counter<'limit'>;
  /** `pulse_leases_held`: subscription leases held by this process, read at each scrape. */
  readonly leasesHeld: Gauge;
  /**
   * Tells `pulse_leases_held` where to read. The lease manager is built
   * after the metrics (the backends report into them), hence a setter.
   */
  readLeasesFrom(count: () => number): void;
  /**
   * `pulse_direct_streams_total{outcome}`: distinct-mode subscription
   * requests Pulse looked at before Yoga (see `transports/sse-direct/`):
   * `served`, or handed to Yoga, by why (see `DirectOutcome`).
   */
  readonly directStreams: Counter<'outcome'>;
  /**
   * `pulse_plain_ingest_total`: plain `recordActivities { recorded }` executions, by whether their
   * inputs were coerced by Pulse (`plain`) or left to GraphQL (`coerced_by_graphql`).
   */
  readonly plainIngest: Counter<'inputs'>;
  /** `pulse_subscription_groups`: fan-out groups (subscribers sharing one execution per event), read at each scrape. */
  readonly subscriptionGroups: Gauge;
  /** Tells `pulse_subscription_groups` where to read (the hub is built after the metrics). */
  readGroupsFrom(count: () => number): void;
}

/** Creates a fresh registry with every Pulse metric and the default process metrics. */
export function createPulseMetrics(): PulseMetrics {
  const registry = new Registry();
  const registers = [registry];
  // Node's own figures (CPU, heap, event loop lag, GC) next to ours, under the same prefix.
  collectDefaultMetrics({ register: registry, prefix: 'pulse_' });
  let leaseCount = (): number => 0;
  let groupCount = (): number => 0;
  const metrics: PulseMetrics = {
    registry,
    httpConnections: new Gauge({ name: 'pulse_http_connections', help: 'Open HTTP connections (WebSocket upgrades included).', registers }),
    subscriptions: new Gauge({ name: 'pulse_subscriptions', help: 'Open subscriptions by transport.', labelNames: ['transport'], registers }),
    subscriptionsOpened: new Counter({ name: 'pulse_subscriptions_opened_total', help: 'Subscriptions that started streaming.', registers }),
    subscriptionsRefused: new Counter({
      name: 'pulse_subscriptions_refused_total',
      help: 'Subscriptions answered with an error instead of a stream, by error code.',
      labelNames: ['code'],
      registers,
    }),
    eventsPublished: new Counter({ name: 'pulse_events_published_total', help: "Changes published by this process's store writes.", registers }),
    eventsDelivered: new Counter({ name: 'pulse_events_delivered_total', help: 'Changes pushed to subscribers by this process.', registers }),
    deliveryLag: new Histogram({
      name: 'pulse_delivery_lag_seconds',
      help: "Time from a change's `at` to its push to a subscriber.",
      buckets: [...DELIVERY_LAG_BUCKETS],
      registers,
    }),
    slowConsumerDisconnects: new Counter({
      name: 'pulse_slow_consumer_disconnects_total',
      help: 'Connections dropped as slow consumers (SLOW_CONSUMER): a subscriber, or a connection past SUBSCRIBER_BUFFER_BYTES unread or MAX_OPERATIONS_PER_CONNECTION operations.',
      registers,
    }),
    redisErrors: new Counter({ name: 'pulse_redis_errors_total', help: 'Backend (Redis) failures by operation.', labelNames: ['operation'], registers }),
    limitRefusals: new Counter({
      name: 'pulse_limit_refusals_total',
      help: 'Requests refused by a per-client bound, by the setting that bounds it.',
      labelNames: ['limit'],
      registers,
    }),
    directStreams: new Counter({
      name: 'pulse_direct_streams_total',
      help: 'Distinct-mode subscription requests looked at before Yoga: served there, or handed to Yoga and why.',
      labelNames: ['outcome'],
      registers,
    }),
    plainIngest: new Counter({
      name: 'pulse_plain_ingest_total',
      help: 'Plain recordActivities executions: inputs coerced by Pulse (plain) or by GraphQL (coerced_by_graphql).',
      labelNames: ['inputs'],
      registers,
    }),
    leasesHeld: new Gauge({
      name: 'pulse_leases_held',
      help: 'Subscription leases held by this process.',
      registers,
      collect() {
        this.set(leaseCount());
      },
    }),
    readLeasesFrom: (count) => {
      leaseCount = count;
    },
    subscriptionGroups: new Gauge({
      name: 'pulse_subscription_groups',
      help: 'Fan-out groups: subscribers with the same operation, variables and scope, sharing one execution per event.',
      registers,
      collect() {
        this.set(groupCount());
      },
    }),
    readGroupsFrom: (count) => {
      groupCount = count;
    },
  };
  initialiseSeries(metrics);
  return metrics;
}

/** Known label values start at 0, so a dashboard's rate() has a series before the first event. */
function initialiseSeries(metrics: PulseMetrics): void {
  for (const transport of TRANSPORTS) if (transport !== 'http') metrics.subscriptions.set({ transport }, 0);
  for (const code of Object.keys(ERROR_CODES)) metrics.subscriptionsRefused.inc({ code }, 0);
  for (const operation of BACKEND_OPERATIONS) metrics.redisErrors.inc({ operation }, 0);
}

/**
 * Counts one change pushed to a subscriber and its lag. A change's `at` is
 * when it happened; for a recorded event that is the client's time, so a
 * back-dated event shows as lag.
 * @param now - the clock's now, in ms
 */
export function observeDelivery(metrics: PulseMetrics, at: number, now: number): void {
  metrics.eventsDelivered.inc();
  // `at` may lie up to CLOCK_SKEW_MS in the future; a negative lag means nothing.
  metrics.deliveryLag.observe(Math.max(0, now - at) / 1000);
}

/**
 * Counts `writes` deliveries of one change written as a fan-out group's
 * shared bytes. They happen in the same moment, so the lag is one sample
 * for the group, not one per member: the histogram counts (change, group)
 * pairs for grouped subscribers.
 * @param now - the clock's now, in ms
 */
export function observeDeliveries(metrics: PulseMetrics, writes: number, at: number, now: number): void {
  metrics.eventsDelivered.inc(writes);
  metrics.deliveryLag.observe(Math.max(0, now - at) / 1000);
}

/** Counts a backend failure (typed, so the label stays within {@link BACKEND_OPERATIONS}). */
export function countBackendError(metrics: PulseMetrics, operation: BackendOperation): void {
  metrics.redisErrors.inc({ operation });
}
