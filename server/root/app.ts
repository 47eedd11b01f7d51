import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Viewer } from '../auth/authenticator.js';
import type { PulseContext, PulseServerContext, PulseServices } from '../resolvers/context.js';
import type { PulseTransport } from '../observability/metrics.js';
import { clusterMetricsText } from './cluster-metrics.js';
import { createPulseSchema } from './schema.js';
import type { DropConnection } from '../live/open-streams.js';
import { useAuth } from '../http/auth-plugin.js';
import { useBodyLimit } from '../http/body-limit.js';
import { createCors } from '../http/cors.js';
import { ASSET_PATH, useDashboard } from '../http/dashboard.js';
import { createDocumentLimits } from '../http/document-limits.js';
import { frontDoor, useGraphQLPathsOnly, type RefusedRequest } from '../http/front-door.js';
import { createGraphiQL } from '../http/graphiql.js';
import { IteratedSink } from '../live/fanout/iterated-sink.js';
import { useIteratedSinks } from '../transports/yoga-written.js';
import { createDistinctSse } from '../transports/sse-distinct.js';
import { usePlainIngest } from '../http/plain-ingest.js';
import { useStreamingHeaders } from '../http/streaming-headers.js';
import { countHttpConnections, useMetricsEndpoint, useSubscriptionMetrics, type MetricsAccess } from '../http/metrics-endpoint.js';
import { outputBoundsOf } from '../transports/output-bounds.js';
import { useExplicitNullDataOnRefusal } from '../http/refusal-shape.js';
import { createRequestIds, createRequestLog, type RequestIds } from '../http/request-id.js';
import type { RequestLimits } from '../http/request-limits.js';
import type { SingleConnectionBackend } from '../transports/sse-single/backend.js';
import { useSingleConnectionSse } from '../transports/sse-single/plugin.js';
import { isDistinctModeRequest } from '../transports/sse-single/requests.js';
import { attachWsTransport, type WsTransport } from '../transports/ws.js';
import { createDirectSse, type HandedBack } from '../transports/sse-direct/handler.js';

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
  /** Level of each request's log line: `debug` in dev mode, so a person's terminal is not one line per request. @defaultValue 'info' */
  readonly requestLogLevel?: 'info' | 'debug';
  /** Who may scrape `/metrics` (see `metricsAccess`): no default, it depends on the host. */
  readonly metricsAccess: MetricsAccess;
  /** Exact origins allowed to call the API from a browser (`CORS_ORIGINS`). @defaultValue [] (same-origin only) */
  readonly corsOrigins?: readonly string[];
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
 * connection mode (`/graphql/stream`), and graphql-ws (`/graphql`). Plain
 * distinct-mode subscriptions are served before Yoga's adapter, with the
 * same checks, documents and answers (`transports/sse-direct/`); anything
 * else they meet goes on to Yoga.
 */
export function createPulseServer(options: PulseServerOptions): PulseServer {
  const { services, authenticator, isReady, graphiqlToken, requestLogLevel, metricsAccess, corsOrigins = [], limits, singleConnection } = options;
  const viewers = new WeakMap<Request, Viewer>();
  /** Every per-client bound refused, by its setting: `pulse_limit_refusals_total{limit}`. */
  const onLimit = (limit: string): void => services.metrics.limitRefusals.inc({ limit });
  const singleConnectionSse = useSingleConnectionSse({
    endpoint: ENDPOINTS.stream,
    viewers,
    ...singleConnection,
    keepAliveMs: limits.sseKeepAliveMs,
    bounds: outputBoundsOf(limits.maxOperationsPerConnection, services),
    requestIdOf: (request) => requestIds.of(request),
    onLimit,
    logger: services.logger,
  });
  const requestIds = createRequestIds();
  const distinctSse = createDistinctSse({ keepAliveMs: limits.sseKeepAliveMs });
  const graphiql = createGraphiQL({ path: ENDPOINTS.graphql, token: graphiqlToken });
  const { logger, metrics } = services;
  const schema = createPulseSchema();
  const documents = createDocumentLimits(limits, onLimit);
  const cors = createCors({ origins: corsOrigins, paths: [ENDPOINTS.graphql, ENDPOINTS.stream] });
  const requestLog = createRequestLog({
    logger,
    ids: requestIds,
    quietPaths: [ENDPOINTS.health, ENDPOINTS.ready, ENDPOINTS.metrics],
    level: requestLogLevel,
    logAddresses: services.privacy.addresses.mode === 'full',
  });
  const yoga = createYoga<PulseServerContext, PulseContext>({
    schema,
    graphqlEndpoint: ENDPOINTS.graphql,
    healthCheckEndpoint: ENDPOINTS.health,
    landingPage: false,
    // Never dev-mode masking (it would put stack traces in responses when NODE_ENV=development).
    maskedErrors: { isDev: false },
    logging: pinoForYoga(services),
    context: ({ request, viewer, transport, requestId, dropConnection, resultSink, res, streamRefusal }): PulseContext => {
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
        // graphql-ws and single-connection SSE bring their own; a distinct-mode stream writes to its response;
        // a response Yoga writes itself (in process, multipart) reads the results from an iterated sink.
        resultSink: resultSink ?? (distinctStream ? distinctSse.sinkFor(request, res) : new IteratedSink(services.limits.subscriberBufferSize, services.limits.subscriberBufferBytes)),
        streamRefusal,
      };
    },
    // Rendered by Pulse (nothing from a CDN); the token is prefilled in dev mode only. Only on the exact
    // path: Yoga matches its endpoint by suffix, query included (`/metrics?x=/graphql`).
    graphiql: (request) => (new URL(request.url).pathname === ENDPOINTS.graphql ? graphiql.options : false),
    renderGraphiQL: graphiql.render,
    // Yoga's default reflects any Origin: CORS is createCors's allow-list instead.
    cors: false,
    // Order matters: plugins that answer in onRequest stop the ones after them.
    plugins: [
      // onSubscribe only, listed before the role check so that role refusals are counted too.
      useSubscriptionMetrics(metrics),
      // Preflights are answered here, before auth; /metrics is not an API path, so it never answers CORS.
      cors.plugin,
      // Before any body is read: a protected request's token is checked from its headers alone (401 at once).
      useAuth({ authenticator, viewers, protectedPaths: [ENDPOINTS.graphql, ENDPOINTS.stream] }),
      // The first to read a body, and only up to its limit; the viewer follows the buffered request.
      useBodyLimit(limits.maxRequestBodyBytes, { onReplaced: (from, to) => carry(viewers, from, to), onRefused: () => onLimit('MAX_REQUEST_BODY_BYTES') }),
      requestLog.plugin,
      useMetricsEndpoint({ metrics, path: ENDPOINTS.metrics, access: metricsAccess, text: clusterMetricsText(metrics.registry) }),
      graphiql.plugin,
      useDashboard(),
      useExplicitNullDataOnRefusal(),
      documents.plugin,
      singleConnectionSse.plugin,
      useReadinessCheck({ endpoint: ENDPOINTS.ready, check: isReady }),
      // Last to answer in onRequest: what is left is GraphQL only at its exact paths.
      useGraphQLPathsOnly([ENDPOINTS.graphql, ENDPOINTS.stream]),
      useStreamingHeaders(),
      distinctSse.plugin,
      useIteratedSinks(),
      // After the role check, whose refusal stops execution before it.
      usePlainIngest(),
    ],
  });
  // Only Pulse's own paths, exactly as sent, reach Yoga; distinct-mode streams at the stream path go to /graphql.
  const door = {
    graphqlPath: ENDPOINTS.graphql,
    streamPath: ENDPOINTS.stream,
    serves: isServedPath,
    belongsToGraphQL: isDistinctModeRequest,
    onRefused: ({ method, path, requestId }: RefusedRequest) => logger.info({ requestId, req: { method, path }, res: { statusCode: 404 } }, 'http request'),
  };
  const direct = createDirectSse({
    path: ENDPOINTS.graphql,
    schema,
    services,
    authenticator,
    documents,
    maxBodyBytes: limits.maxRequestBodyBytes,
    keepAliveMs: limits.sseKeepAliveMs,
    corsHeaders: (origin) => cors.responseHeaders(origin),
    requestLog,
  });
  // What the fast path hands back goes to Yoga with what it learned: the body it read, a refusal to answer.
  // Yoga's Node adapter takes a body already read from `req.body` (as behind Express's parsers), as a plain Uint8Array.
  const toYoga = (req: IncomingMessage, res: ServerResponse, { body, streamRefusal }: HandedBack = {}): void => {
    if (body !== undefined) (req as IncomingMessage & { body?: Uint8Array }).body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    void yoga.handle(req, res, streamRefusal === undefined ? {} : { streamRefusal });
  };
  const httpServer = createServer(frontDoor(door, (req, res) => direct.serve(req, res, (learned) => toYoga(req, res, learned))));
  countHttpConnections(httpServer, metrics);
  const ws = attachWsTransport({
    httpServer,
    path: ENDPOINTS.graphql,
    yoga,
    authenticator,
    maxPayloadBytes: limits.maxRequestBodyBytes,
    onOversized: () => onLimit('MAX_REQUEST_BODY_BYTES'),
    bounds: outputBoundsOf(limits.maxOperationsPerConnection, services),
  });
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

/** Every path Pulse answers to GET and HEAD, as sent (undecoded): its endpoints, and the dashboard's page and assets. */
function isServedPath(path: string): boolean {
  return SERVED_PATHS.has(path) || ASSET_PATH.test(path);
}

const SERVED_PATHS: ReadonlySet<string> = new Set([...Object.values(ENDPOINTS), '/', '/index.html']);

/** Keeps what is known of a request (its verified viewer) on the request that replaced it. */
function carry<T>(known: WeakMap<Request, T>, from: Request, to: Request): void {
  const value = known.get(from);
  if (value !== undefined) known.set(to, value);
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
