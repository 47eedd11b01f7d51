import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { PulseContext } from '../resolvers/context.js';
import { pulseError } from '../core/errors.js';
import type { PulseMetrics } from '../observability/metrics.js';
import { errorResponse } from './error-response.js';

/**
 * Who may scrape `/metrics`:
 * - `open`: anyone who reaches the port (loopback `HOST`, no `METRICS_TOKEN`);
 * - `token`: the bearer of `METRICS_TOKEN`, whatever the host;
 * - `hidden`: nobody; `/metrics` answers 404 as if it did not exist
 *   (non-loopback `HOST` and no `METRICS_TOKEN`).
 */
export type MetricsAccess = { readonly kind: 'open' } | { readonly kind: 'token'; readonly token: string } | { readonly kind: 'hidden' };

/**
 * Decides {@link MetricsAccess} from `METRICS_TOKEN` and whether `HOST` is
 * loopback. Off loopback without a token, Pulse still starts (refusing
 * would take the whole API down for want of a monitoring setting) but
 * hides `/metrics`: its figures (open streams, subscribers, Redis errors)
 * help an attacker probe limits and time an attack. `startPulse` logs a
 * warning saying so.
 */
export function metricsAccess(token: string | undefined, loopback: boolean): MetricsAccess {
  if (token !== undefined) return { kind: 'token', token };
  return loopback ? { kind: 'open' } : { kind: 'hidden' };
}

/** Options of {@link useMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  readonly metrics: PulseMetrics;
  /** Where the text exposition is served, e.g. `/metrics`. */
  readonly path: string;
  /** Who may scrape; see {@link metricsAccess}. */
  readonly access: MetricsAccess;
  /** The text to serve. @defaultValue the registry's own (see `clusterMetricsText` for `--workers`) */
  readonly text?: () => Promise<string>;
}

/**
 * Serves `GET <path>` in Prometheus text format from the instance's own
 * registry. With a token, any other `Authorization` is answered 401 with the
 * same error body as every other refusal; when hidden, every request to the
 * path is answered 404.
 */
export function useMetricsEndpoint({ metrics, path, access, text = () => metrics.registry.metrics() }: MetricsEndpointOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== path) return;
      // The same answer as any unknown path, so a scan learns nothing from it.
      if (access.kind === 'hidden') return endResponse(new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
      if (request.method !== 'GET') return;
      if (access.kind === 'token' && !bearerMatches(request.headers.get('authorization'), access.token)) {
        return endResponse(errorResponse(pulseError('UNAUTHENTICATED', 'The metrics endpoint needs Authorization: Bearer <METRICS_TOKEN>.')));
      }
      const body = await text();
      endResponse(new Response(body, { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }));
    },
  };
}

/** Compares digests, so the time taken says nothing about how much of the token matched (or its length). */
function bearerMatches(header: string | null, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function isStream(result: unknown): result is AsyncIterable<unknown> {
  return typeof result === 'object' && result !== null && Symbol.asyncIterator in result;
}

/**
 * Counts subscriptions refused by the one pipeline, whatever the transport:
 * an error result instead of a stream, by code. Listed before the auth
 * plugin, so role refusals are seen too. (Streams that start are counted by
 * the stream itself, which knows when it really ends: see `openActivityStream`.)
 */
export function useSubscriptionMetrics(metrics: PulseMetrics): Plugin<PulseContext> {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result }) {
          if (isStream(result)) return undefined;
          const code = result.errors?.[0]?.extensions?.code;
          metrics.subscriptionsRefused.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
          return undefined;
        },
      };
    },
  };
}

/** Keeps `pulse_http_connections` equal to the server's open sockets. */
export function countHttpConnections(server: Server, metrics: PulseMetrics): void {
  // One listener for every socket ('close' comes once): a closure and a `once` wrapper per socket would
  // cost each open stream about 160 bytes for as long as it lives.
  const closed = (): void => metrics.httpConnections.dec();
  server.on('connection', (socket) => {
    metrics.httpConnections.inc();
    socket.on('close', closed);
  });
}
