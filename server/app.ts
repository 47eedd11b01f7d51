import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Viewer } from './auth.js';
import type { PulseContext, PulseServerContext, PulseServices } from './context.js';
import type { PulseTransport } from './metrics.js';
import { clusterMetricsText } from './cluster-metrics.js';
import { createPulseSchema } from './schema.js';
import type { DropConnection } from './streams/open-streams.js';
import { useAuth } from './transports/auth-plugin.js';
import { useBodyLimit } from './transports/body-limit.js';
import { useDashboard } from './transports/dashboard.js';
import { useDocumentLimits } from './transports/document-limits.js';
import { createDistinctSse } from './transports/sse-distinct.js';
import { useStreamingHeaders } from './transports/http-extras.js';
import { countHttpConnections, useMetricsEndpoint, useSubscriptionMetrics } from './transports/metrics.js';
import { useExplicitNullDataOnRefusal } from './transports/refusal-shape.js';
import { createRequestIds, useRequestLog, type RequestIds } from './transports/request-id.js';
import type { RequestLimits } from './transports/request-limits.js';
import type { SingleConnectionBackend } from './transports/sse-backend.js';
import { useSingleConnectionSse } from './transports/sse-single.js';
import { attachWsTransport, type WsTransport } from './transports/ws.js';

/** Where each transport lives. */
export const ENDPOINTS = { graphql: '/graphql', stream: '/graphql/stream', health: '/healthz', ready: '/readyz', metrics: '/metrics' } as const;

/** What {@link createPulseServer} wires together. */
export interface PulseServerOptions {
  readonly services: PulseServices;
  readonly authenticator: Authenticator;
  /** Resolves true when every backend answers; `/readyz` reports it. */
  readonly isReady: () => Promise<boolean>;
  /** Prefilled in GraphiQL's headers (dev mode only), so a newcomer can run queries at once. */
  readonly graphiqlToken?: string;
  /** When set, `/metrics` requires `Authorization: Bearer <metricsToken>`. @defaultValue undefined (open) */
  readonly metricsToken?: string;
  /** Document, body, WebSocket message and SSE reservation limits, applied on every transport. */
  readonly limits: RequestLimits;
  /** Single connection SSE's reservations and router (memory, or Redis shared by every process). */
  readonly singleConnection: Pick<SingleConnectionBackend, 'reservations' | 'router'>;
}

/** A Pulse gateway that is not listening yet. */
export interface PulseServer {
  readonly httpServer: Server;
  readonly yoga: YogaServerInstance<PulseServerContext, PulseContext>;
  readonly ws: WsTransport;
  /** Listens and resolves with the base URL, e.g. `http://127.0.0.1:4000`. */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting connections; open ones keep being served until {@link PulseServer.close}. Idempotent. */
  stopAccepting(): void;
  /** Stops accepting, closes sockets and open streams. */
  close(): Promise<void>;
}

/**
 * One Yoga instance (one execution pipeline, auth, masking) served over
 * GraphQL over HTTP, graphql-sse in distinct mode (`/graphql`) and single
 * connection mode (`/graphql/stream`), and graphql-ws (`/graphql`).
 */
export function createPulseServer({ services, authenticator, isReady, graphiqlToken, metricsToken, limits, singleConnection }: PulseServerOptions): PulseServer {
  const viewers = new WeakMap<Request, Viewer>();
  const singleConnectionSse = useSingleConnectionSse({
    endpoint: ENDPOINTS.stream,
    viewers,
    ...singleConnection,
    keepAliveMs: limits.sseKeepAliveMs,
    requestIdOf: (request) => requestIds.of(request),
    logger: services.logger,
  });
  const requestIds = createRequestIds();
  const distinctSse = createDistinctSse({ keepAliveMs: limits.sseKeepAliveMs });
  const { logger, metrics } = services;
  const yoga = createYoga<PulseServerContext, PulseContext>({
    schema: createPulseSchema(),
    graphqlEndpoint: ENDPOINTS.graphql,
    healthCheckEndpoint: ENDPOINTS.health,
    landingPage: false,
    // Never dev-mode masking (it would put stack traces in responses when NODE_ENV=development).
    maskedErrors: { isDev: false },
    logging: pinoForYoga(services),
    context: ({ request, viewer, transport, requestId, dropConnection, resultSink, res }): PulseContext => {
      const via = transport ?? (request ? transportOf(request) : 'http');
      const distinctStream = via === 'sse-distinct' && request && res;
      const id = requestId ?? requestIdOf(requestIds, request);
      return {
        viewer: viewer ?? (request ? viewers.get(request) : undefined) ?? null,
        services,
        signal: request?.signal,
        transport: via,
        requestId: id,
        logger: logger.child({ requestId: id }),
        // graphql-ws and single-connection SSE bring their own; a distinct-mode stream is its HTTP response.
        dropConnection: dropConnection ?? (distinctStream ? destroyResponse(res) : undefined),
        // graphql-ws and single-connection SSE bring their own; a distinct-mode stream writes to its response.
        resultSink: resultSink ?? (distinctStream ? distinctSse.sinkFor(request, res) : undefined),
      };
    },
    graphiql: {
      title: 'Pulse',
      subscriptionsProtocol: 'SSE',
      headers: JSON.stringify({ Authorization: `Bearer ${graphiqlToken ?? '<paste an admin token>'}` }),
      defaultQuery: DEFAULT_QUERY,
    },
    // Order matters: plugins that answer in onRequest stop the ones after them.
    plugins: [
      // First: nothing may read a request body before its size is checked.
      useBodyLimit(limits.maxRequestBodyBytes),
      useRequestLog({ logger, ids: requestIds, quietPaths: [ENDPOINTS.health, ENDPOINTS.ready, ENDPOINTS.metrics] }),
      useMetricsEndpoint({ metrics, path: ENDPOINTS.metrics, token: metricsToken, text: clusterMetricsText(metrics.registry) }),
      useDashboard(),
      useSubscriptionMetrics(metrics),
      useAuth({ authenticator, viewers, protectedPaths: [ENDPOINTS.graphql, ENDPOINTS.stream] }),
      useExplicitNullDataOnRefusal(),
      useDocumentLimits(limits),
      singleConnectionSse.plugin,
      useReadinessCheck({ endpoint: ENDPOINTS.ready, check: isReady }),
      useStreamingHeaders(),
      distinctSse.plugin,
    ],
  });
  const httpServer = createServer(yoga);
  countHttpConnections(httpServer, metrics);
  const ws = attachWsTransport({ httpServer, path: ENDPOINTS.graphql, yoga, authenticator, maxPayloadBytes: limits.maxRequestBodyBytes });
  let closing: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => (closing ??= new Promise<void>((resolve) => httpServer.close(() => resolve())));
  return {
    httpServer,
    yoga,
    ws,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const { port: bound } = httpServer.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
        });
      }),
    stopAccepting: () => void stopAccepting(),
    close: async () => {
      const closed = stopAccepting();
      await singleConnectionSse.close();
      await ws.close();
      httpServer.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Drops a distinct-mode SSE stream: destroying the response's socket ends
 * the connection without the `complete` event (nor the chunked encoding's
 * last chunk), so the client sees a network error and reconnects. Nothing
 * queued behind a stalled reader is flushed first.
 */
function destroyResponse(res: ServerResponse): DropConnection {
  return () => {
    if (res.destroyed) return false;
    res.destroy();
    return true;
  };
}

/** The transport label of an HTTP request; graphql-ws says `ws` itself through the server context. */
function transportOf(request: Request): PulseTransport {
  if (new URL(request.url).pathname === ENDPOINTS.stream) return 'sse-single';
  return (request.headers.get('accept') ?? '').includes('text/event-stream') ? 'sse-distinct' : 'http';
}

/** Yoga always passes the request over HTTP; the fallback only covers an executor called without one. */
function requestIdOf(requestIds: RequestIds, request: Request | undefined): string {
  return request ? requestIds.of(request) : randomUUID();
}

function pinoForYoga({ logger }: PulseServices) {
  return {
    debug: (...args: unknown[]) => logger.debug({ yoga: args }, 'yoga'),
    info: (...args: unknown[]) => logger.info({ yoga: args }, 'yoga'),
    warn: (...args: unknown[]) => logger.warn({ yoga: args }, 'yoga'),
    error: (...args: unknown[]) => logger.error({ yoga: args }, 'yoga'),
  };
}

const DEFAULT_QUERY = `# Pulse: live activity. Try the query, then the subscription.
query Now {
  stats { activeUsers activeSessions eventsLastMinute topPaths(limit: 5) { path sessions } at }
  activeUsers(first: 10) { edges { node { id name lastSeen sessions { id path ipAddress } } } pageInfo { hasNextPage endCursor } }
}

subscription Live {
  activityChanged {
    __typename cursor at
    ... on SessionStarted { session { id userId path } }
    ... on SessionEnded { reason session { id } }
    ... on StatsChanged { stats { activeUsers activeSessions eventsLastMinute } }
  }
}

mutation Record {
  recordActivity(input: { sessionId: "s1", userId: "alice", userName: "Alice", path: "/home" }) { id lastSeen eventCount }
}
`;
