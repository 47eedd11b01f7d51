import type { Plugin } from 'graphql-yoga';

/** What the browser clients use: GET and POST on `/graphql`, and PUT, GET, POST and DELETE on `/graphql/stream`. */
export const CORS_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE'];

/**
 * Request headers the clients send that are not CORS-safelisted: the bearer
 * token, JSON bodies, graphql-sse's stream token, urql's long `Accept`, and a
 * caller's own request id.
 */
export const CORS_REQUEST_HEADERS: readonly string[] = ['authorization', 'content-type', 'accept', 'x-graphql-event-stream-token', 'x-request-id'];

/** Response headers a cross-origin script may read beyond the safelisted ones: Pulse's request id, to quote in a report. */
export const CORS_EXPOSED_HEADERS: readonly string[] = ['x-request-id'];

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_S = 600;

/** Options of {@link createCors}. */
export interface CorsOptions {
  /** Exact origins allowed (`CORS_ORIGINS`), e.g. `https://dash.example.com`. Empty: same-origin only. */
  readonly origins: readonly string[];
  /** The only paths that ever answer CORS: the API's (`/graphql`, `/graphql/stream`). */
  readonly paths: readonly string[];
}

/** CORS of one server: the Yoga plugin, and the same response headers for a transport that answers before Yoga. */
export interface Cors {
  readonly plugin: Plugin;
  /**
   * The CORS headers of a response on an API path to a request with this
   * `Origin` (not a preflight): `Vary`, and the allowance for a listed origin.
   */
  responseHeaders(origin: string | undefined): Record<string, string>;
}

/**
 * CORS by allow-list, in place of Yoga's own (which, by default, reflects
 * any `Origin`; and given a one-entry list, sends that entry to every
 * origin). On the API paths only:
 * - a listed origin gets `Access-Control-Allow-Origin` with exactly its
 *   origin, on preflights (`OPTIONS`, answered 204 here, before any auth or
 *   body handling) and on every response, early refusals and event streams
 *   included (`onResponse` runs for all of them);
 * - any other origin gets no CORS header at all, so the browser keeps the
 *   answer from the calling page;
 * - no `Access-Control-Allow-Credentials`: Pulse authenticates with a bearer
 *   header, never a cookie, so a page has no ambient authority to borrow;
 * - `Vary: Origin`, so no cache hands one origin's answer to another.
 * Every other path (`/metrics`, `/healthz`, the dashboard) never answers CORS.
 */
export function createCors({ origins, paths }: CorsOptions): Cors {
  const allowed = new Set(origins);
  const applies = (url: URL): boolean => paths.includes(url.pathname);
  return {
    plugin: {
      onRequest({ request, url, endResponse }) {
        if (request.method === 'OPTIONS' && applies(url)) endResponse(preflight(allowedOrigin(request.headers.get('origin'), allowed)));
      },
      onResponse({ request, response }) {
        if (request.method === 'OPTIONS' || !applies(new URL(request.url))) return;
        response.headers.append('vary', 'Origin');
        const origin = allowedOrigin(request.headers.get('origin'), allowed);
        if (origin === undefined) return;
        response.headers.set('access-control-allow-origin', origin);
        response.headers.set('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
      },
    },
    responseHeaders(origin): Record<string, string> {
      const listed = allowedOrigin(origin ?? null, allowed);
      if (listed === undefined) return { vary: 'Origin' };
      return { vary: 'Origin', 'access-control-allow-origin': listed, 'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', ') };
    },
  };
}

/** The request's `Origin` when it is listed, compared as exact strings (the config holds exact origins). */
function allowedOrigin(origin: string | null, allowed: ReadonlySet<string>): string | undefined {
  return origin !== null && allowed.has(origin) ? origin : undefined;
}

/** 204 to every preflight; only a listed origin's carries the permissions. */
function preflight(origin: string | undefined): Response {
  const headers = new Headers({ 'content-length': '0', vary: 'Origin' });
  if (origin !== undefined) {
    headers.set('access-control-allow-origin', origin);
    headers.set('access-control-allow-methods', CORS_METHODS.join(', '));
    headers.set('access-control-allow-headers', CORS_REQUEST_HEADERS.join(', '));
    headers.set('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
  }
  return new Response(null, { status: 204, headers });
}
