import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Viewer } from './auth.js';
import type { PulseContext, PulseServerContext, PulseServices } from './context.js';
import { createPulseSchema } from './schema.js';
import { useAuth } from './transports/auth-plugin.js';
import { useDashboard } from './transports/dashboard.js';
import { useStreamingHeaders } from './transports/http-extras.js';
import { useExplicitNullDataOnRefusal } from './transports/refusal-shape.js';
import { attachWsTransport, type WsTransport } from './transports/ws.js';

/** Where each transport lives. */
export const ENDPOINTS = { graphql: '/graphql', stream: '/graphql/stream', health: '/healthz', ready: '/readyz' } as const;

/** What {@link createPulseServer} wires together. */
export interface PulseServerOptions {
  readonly services: PulseServices;
  readonly authenticator: Authenticator;
  /** Resolves true when every backend answers; `/readyz` reports it. */
  readonly isReady: () => Promise<boolean>;
  /** Prefilled in GraphiQL's headers (dev mode only), so a newcomer can run queries at once. */
  readonly graphiqlToken?: string;
}

/** A Pulse gateway that is not listening yet. */
export interface PulseServer {
  readonly httpServer: Server;
  readonly yoga: YogaServerInstance<PulseServerContext, PulseContext>;
  readonly ws: WsTransport;
  /** Listens and resolves with the base URL, e.g. `http://127.0.0.1:4000`. */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, closes sockets and open streams. */
  close(): Promise<void>;
}

/**
 * One Yoga instance (one execution pipeline, auth, masking) served over
 * GraphQL over HTTP, graphql-sse in distinct mode (`/graphql`) and single
 * connection mode (`/graphql/stream`), and graphql-ws (`/graphql`).
 */
export function createPulseServer({ services, authenticator, isReady, graphiqlToken }: PulseServerOptions): PulseServer {
  const viewers = new WeakMap<Request, Viewer>();
  const yoga = createYoga<PulseServerContext, PulseContext>({
    schema: createPulseSchema(),
    graphqlEndpoint: ENDPOINTS.graphql,
    healthCheckEndpoint: ENDPOINTS.health,
    landingPage: false,
    // Never dev-mode masking (it would put stack traces in responses when NODE_ENV=development).
    maskedErrors: { isDev: false },
    logging: pinoForYoga(services),
    context: ({ request, viewer }): PulseContext => ({
      viewer: viewer ?? (request ? viewers.get(request) : undefined) ?? null,
      services,
      signal: request?.signal,
    }),
    graphiql: {
      title: 'Pulse',
      subscriptionsProtocol: 'SSE',
      headers: JSON.stringify({ Authorization: `Bearer ${graphiqlToken ?? '<paste an admin token>'}` }),
      defaultQuery: DEFAULT_QUERY,
    },
    plugins: [
      useDashboard(),
      useAuth({ authenticator, viewers, protectedPaths: [ENDPOINTS.graphql, ENDPOINTS.stream] }),
      useExplicitNullDataOnRefusal(),
      useGraphQLSSE({ endpoint: ENDPOINTS.stream }),
      useReadinessCheck({ endpoint: ENDPOINTS.ready, check: isReady }),
      useStreamingHeaders(),
    ],
  });
  const httpServer = createServer(yoga);
  const ws = attachWsTransport({ httpServer, path: ENDPOINTS.graphql, yoga, authenticator });
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
    close: async () => {
      await ws.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
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
